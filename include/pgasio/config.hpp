// The configuration of a connection: libpq's connection strings, URIs, environment variables and
// defaults, plus a few pgasio extensions. Plain C++ (no Asio), so any layer may include it.
#pragma once

#include <pgasio/config_error.hpp>
#include <pgasio/environment.hpp>
#include <pgasio/pool_options.hpp>
#include <pgasio/protocol/frontend.hpp>
#include <pgasio/query_exec_mode.hpp>
#include <pgasio/secret_string.hpp>

#include <boost/system/result.hpp>
#include <fmt/format.h> // formatter<string_view>::format, which the formatter below uses

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgasio {

class observer;
class wire_simulation;

/// The unix socket directory used when no host is given: libpq's compiled-in default on Debian.
inline constexpr std::string_view default_unix_socket_directory = "/var/run/postgresql";

/// The server port used when none is given.
inline constexpr std::uint16_t default_port = 5432;

/// The maximum message size used when none is given: 1 GiB, PostgreSQL's own limit on a field.
inline constexpr std::size_t default_max_message_size = std::size_t{1} << 30;

/// One server to try. libpq's rules: `hostaddr`, when set, is the numeric address connected to
/// (`host` then only serves TLS host name checks and password file look-ups); otherwise `host` is
/// resolved, or, when it starts with '/' or '@', names a unix socket directory.
struct host_spec {
    /// Host name, IP address, or unix socket directory ('/' absolute path, or '@' for Linux's
    /// abstract namespace). Empty only when hostaddr is set.
    std::string host;
    /// Numeric IPv4 or IPv6 address to connect to without a name look-up, or empty.
    std::string hostaddr;
    /// TCP port, or the number in the unix socket's file name.
    std::uint16_t port = default_port;

    /// True when the connection goes through a unix socket: no hostaddr, and host starts with '/'
    /// or '@'.
    [[nodiscard]] bool is_unix_socket() const noexcept;
    /// The socket file HOST/.s.PGSQL.PORT (for an '@' host, the caller replaces the '@' by
    /// the NUL byte that marks Linux's abstract namespace). Meaningful when is_unix_socket().
    [[nodiscard]] std::string unix_socket_path() const;

    /// Equal when every field is.
    friend bool operator==(const host_spec&, const host_spec&) = default;
};

/// The host for people: `db1:5432`, `[::1]:5432`, `db1:5432 (10.0.0.1)` when both host and
/// hostaddr are set, the socket file (`/var/run/postgresql/.s.PGSQL.5432`) for a unix socket.
std::string to_string(const host_spec& h);

/// sslmode: whether and how TLS is used (libpq's values and meanings).
enum class ssl_mode {
    disable,    ///< never TLS
    allow,      ///< plain first; TLS if the server insists
    prefer,     ///< TLS if the server offers it, else plain (libpq's default)
    require,    ///< TLS, without checking the server's certificate (but see sslrootcert)
    verify_ca,  ///< TLS, certificate signed by a trusted CA
    verify_full ///< TLS, trusted certificate whose name matches the host
};

/// sslnegotiation: how TLS is started.
enum class ssl_negotiation {
    postgres, ///< SSLRequest first, then the handshake (every server; the default)
    direct    ///< TLS handshake straight away, with ALPN "postgresql" (PostgreSQL 17+)
};

/// channel_binding: SCRAM-SHA-256-PLUS use.
enum class channel_binding_mode {
    disable, ///< never
    prefer,  ///< when TLS is used and the server offers it (the default)
    require  ///< fail unless the server authenticates with channel binding
};

/// target_session_attrs: which of the listed servers is acceptable.
enum class session_attrs {
    any,           ///< the first that accepts the connection (the default)
    read_write,    ///< one that accepts writes (default_transaction_read_only off, not standby)
    read_only,     ///< one that does not accept writes
    primary,       ///< one not in recovery
    standby,       ///< one in recovery
    prefer_standby ///< a standby if any is up, else any
};

/// load_balance_hosts: the order in which hosts are tried.
enum class load_balance_mode {
    disable, ///< in the order given (the default)
    random   ///< shuffled, and the addresses of each host shuffled too
};

/// An authentication method, as named by libpq's require_auth.
enum class auth_method : std::uint8_t {
    none = 1,          ///< the server authenticates without asking anything ("none")
    password = 2,      ///< cleartext password ("password")
    md5 = 4,           ///< MD5 hashed password ("md5")
    scram_sha_256 = 8, ///< SCRAM-SHA-256, with or without channel binding ("scram-sha-256")
    gss = 16,          ///< Kerberos/GSSAPI ("gss"; pgasio does not implement it)
    sspi = 32          ///< Windows SSPI ("sspi"; pgasio does not implement it)
};

/// The set of authentication methods the client accepts from the server (require_auth).
///
/// libpq 16's syntax: a comma-separated list of methods, any of which is allowed
/// (`require_auth=scram-sha-256,none`), or a list whose every element starts with '!', naming the
/// methods that are refused (`require_auth=!password,!md5`). Mixing both forms, repeating a method
/// or naming an unknown one is an error. By default every method is allowed.
class auth_method_set {
public:
    /// Every method allowed.
    constexpr auth_method_set() noexcept = default;
    /// The empty set (nothing allowed).
    static constexpr auth_method_set none_allowed() noexcept { return auth_method_set(0); }
    /// Every method allowed.
    static constexpr auth_method_set all() noexcept { return {}; }

    /// Whether `m` is allowed.
    [[nodiscard]] constexpr bool contains(auth_method m) const noexcept {
        return (bits_ & static_cast<unsigned>(m)) != 0;
    }
    /// Allows `m`.
    constexpr auth_method_set& insert(auth_method m) noexcept {
        bits_ |= static_cast<unsigned>(m);
        return *this;
    }
    /// Refuses `m`.
    constexpr auth_method_set& erase(auth_method m) noexcept {
        bits_ &= ~static_cast<unsigned>(m);
        return *this;
    }
    /// True when no method is allowed.
    [[nodiscard]] constexpr bool empty() const noexcept { return bits_ == 0; }
    /// True when every method is allowed.
    [[nodiscard]] constexpr bool is_all() const noexcept { return bits_ == all_bits; }

    /// Equal when both allow the same methods.
    friend constexpr bool operator==(auth_method_set, auth_method_set) = default;

private:
    static constexpr unsigned all_bits = 63;
    constexpr explicit auth_method_set(unsigned bits) noexcept
        : bits_(bits) {}
    unsigned bits_ = all_bits;
};

class config_builder;

/// Everything needed to open a connection (and, in `pool`, to run a pool of them).
///
/// Every field is public and starts at libpq's default; the parameter that sets it in a
/// connection string is named in its comment. parse() is the usual way to fill it; a config
/// edited by hand can be checked with validate().
///
/// Precedence, as in libpq: a parameter in the connection string wins over its environment
/// variable (PGHOST, ...), which wins over the default. An empty value (`host=''`) means the
/// default, and does not fall back to the environment.
///
/// Not supported: service files (the `service` parameter is an error; PGSERVICE is ignored),
/// GSSAPI (gssencmode=require is an error; disable and prefer are accepted and mean "no GSS
/// encryption"), client encodings other than UTF8 (client_encoding accepts only UTF8, which is
/// what pgasio always uses, so it has no field).
struct config {
    /// host, hostaddr, port (PGHOST, PGHOSTADDR, PGPORT): the servers to try, in order (see
    /// load_balance_hosts). Never empty after parse(): by default the one unix socket
    /// default_unix_socket_directory, port 5432. Lists are comma-separated; a single port applies
    /// to every host, otherwise there must be as many ports as hosts (an empty entry means 5432),
    /// and a hostaddr list must have as many entries as the host list.
    std::vector<host_spec> hosts{host_spec{std::string(default_unix_socket_directory), {}, 5432}};
    /// The replicas of a cluster (pgasio::cluster; a connection ignores them): more members,
    /// reached with every other setting of this configuration (user, dbname, password, TLS...).
    /// Not a connection string parameter: config_builder::add_replica() fills it.
    ///
    /// In a cluster, `hosts` are members too, not alternatives tried in order: a multi-host URL
    /// `postgresql://h1,h2,h3/db` makes h1, h2 and h3 members, each connected to on its own.
    /// No member's role is taken from where it is listed: the cluster asks each server whether
    /// it is in recovery, and routes writes to the one that is not. So `replicas` says where
    /// the standbys are expected, and a promoted replica becomes the primary without any
    /// change here. A host may not appear both here and in `hosts`.
    std::vector<host_spec> replicas;
    /// user (PGUSER): the role to log in as. Default: the operating system's user name of the
    /// process's effective user id.
    std::string user;
    /// dbname (PGDATABASE): the database. Default: the user name.
    std::string dbname;
    /// password (PGPASSWORD). When empty, the password file is consulted (lookup_password()).
    secret_string password;
    /// passfile (PGPASSFILE): the password file. Default: `~/.pgpass`.
    std::string passfile;
    /// options (PGOPTIONS): command-line options sent to the server at startup, e.g.
    /// `-c geqo=off`.
    std::string options;
    /// application_name (PGAPPNAME): shown in pg_stat_activity and logs. Empty: not sent.
    std::string application_name;
    /// fallback_application_name: sent when application_name is empty.
    std::string fallback_application_name;
    /// connect_timeout (PGCONNECT_TIMEOUT), in whole seconds: the deadline of each connection
    /// attempt (name look-up, TCP, TLS, authentication). Zero: none. As in libpq, zero or a
    /// negative number in a string means none, and 1 is raised to 2 seconds (parse() does this),
    /// because a one-second deadline fires on ordinary scheduling noise.
    std::chrono::seconds connect_timeout{0};

    /// sslmode (PGSSLMODE). Default prefer; verify_full when sslrootcert is "system".
    ssl_mode sslmode = ssl_mode::prefer;
    /// sslnegotiation (PGSSLNEGOTIATION). `direct` requires sslmode require or stronger.
    ssl_negotiation sslnegotiation = ssl_negotiation::postgres;
    /// sslrootcert (PGSSLROOTCERT): the file of trusted CA certificates, or "system" for the
    /// system's trust store (which requires sslmode=verify-full). Default:
    /// `~/.postgresql/root.crt`. A missing file is an error at connect time for verify-ca and
    /// verify-full; as in libpq, with sslmode=require an existing file makes the connection verify
    /// the CA like verify-ca.
    std::string sslrootcert;
    /// sslcert (PGSSLCERT): the client certificate, sent if the file exists. Default:
    /// `~/.postgresql/postgresql.crt`.
    std::string sslcert;
    /// sslkey (PGSSLKEY): the client certificate's private key. Default:
    /// `~/.postgresql/postgresql.key`.
    std::string sslkey;
    /// sslpassword: the passphrase of an encrypted sslkey. Empty: the key is not encrypted.
    secret_string sslpassword;
    /// sslsni (PGSSLSNI): send the host name in the TLS handshake (SNI). Default on.
    bool sslsni = true;
    /// channel_binding (PGCHANNELBINDING). `require` contradicts sslmode=disable.
    channel_binding_mode channel_binding = channel_binding_mode::prefer;
    /// require_auth (PGREQUIREAUTH): the authentication methods accepted from the server.
    auth_method_set require_auth;

    /// target_session_attrs (PGTARGETSESSIONATTRS).
    session_attrs target_session_attrs = session_attrs::any;
    /// load_balance_hosts (PGLOADBALANCEHOSTS).
    load_balance_mode load_balance_hosts = load_balance_mode::disable;

    /// keepalives: TCP keepalives on (a string takes an integer, non-zero meaning on).
    bool keepalives = true;
    /// keepalives_idle, in seconds: idle time before the first probe. Zero: the system's default.
    std::chrono::seconds keepalives_idle{0};
    /// keepalives_interval, in seconds, between probes. Zero: the system's default.
    std::chrono::seconds keepalives_interval{0};
    /// keepalives_count: probes lost before the connection is dead. Zero: the system's default.
    int keepalives_count = 0;

    /// statement_timeout (pgasio extension): sent in the startup message as the server setting of
    /// that name, so every statement of the session is bounded by the server. A string takes
    /// PostgreSQL's syntax: an integer in milliseconds, or with a unit (us is not accepted), ms, s,
    /// min, h or d, e.g. `30s`. Zero: not sent (the server's own setting applies).
    std::chrono::milliseconds statement_timeout{0};
    /// max_message_size (pgasio extension): the largest message accepted from the server, in
    /// bytes; a bigger one fails the operation and closes the connection. A string takes bytes,
    /// or kB, MB, GB (powers of 1024). Between 8 kB (the server's ordinary messages must fit) and
    /// 2 GiB - 1 (the protocol's length field). Default 1 GiB.
    std::size_t max_message_size = default_max_message_size;
    /// max_protocol_version (PGMAXPROTOCOLVERSION; libpq 18's name): the newest protocol version
    /// requested, "3.0" (the default, every server) or "3.2" ("latest" means 3.2); a server that
    /// lacks 3.2 negotiates down.
    protocol::protocol_version max_protocol_version = protocol::protocol_version::v3_0;
    /// statement_cache_capacity (pgasio extension): how many prepared statements each connection
    /// keeps in its cache in query_exec_mode::cache_statement (and descriptions in
    /// cache_describe), the least recently used being closed when a new one needs the room.
    /// Zero disables the cache: those modes then behave as describe_exec. Default 512, as pgx.
    std::size_t statement_cache_capacity = 512;
    /// default_query_exec_mode (pgasio extension): how plain queries are sent (see
    /// query_exec_mode for the modes, and which to use behind which connection pooler). Default
    /// cache_statement.
    query_exec_mode default_query_exec_mode = query_exec_mode::cache_statement;
    /// pipeline_read_pause (pgasio extension): the longest a connection waits before reading
    /// again when its last read took everything the server had sent so far while the server is
    /// still busy: in the middle of sending a result's rows or COPY data, or with at least
    /// pipeline_read_pause_depth requests in flight (written, not yet answered). What arrives
    /// meanwhile is then read in one go, and the requests its callers send next go out in one
    /// write, instead of a read, a write and a pass of the event loop for each request or each
    /// few rows (on a local server: a fifth less client CPU for a 1,000,000-row result, about a
    /// fifth of it for 200,000 requests one coroutine each, 4,000 in flight, and less wall time
    /// in both). The wait is shorter when data comes fast: about as long as 32 kB takes to come,
    /// none below 50 us, so that the socket's buffers never fill and hold the server back. Each
    /// read may hand out its rows or answers up to this much later. It pays where the client
    /// would otherwise wake for each answer or few rows; on a machine whose cores are all busy
    /// the client already finds many per read, saves less, and the pause can cost wall time
    /// (measure, and set 0 where it does). Not applied over TLS, whose reads return one record
    /// at a time whatever is waiting, nor to a replayed session. A string takes microseconds, or
    /// an integer followed by us, ms or s, at most 1 s (set directly, more counts as 1 s). Zero
    /// turns the pause off. Default 500 us.
    std::chrono::microseconds pipeline_read_pause{500};
    /// pipeline_read_pause_depth (pgasio extension): the requests in flight from which
    /// pipeline_read_pause applies; at least 1 (set directly, 0 counts as 1). Default 512: below
    /// that, a server answering in a microsecond or two could run out of work while the
    /// connection waits.
    std::size_t pipeline_read_pause_depth = 512;

    /// Settings of the pool using this configuration. Not part of connection strings: set them
    /// with the builder or directly.
    pool_options pool;

    /// Where connections, pools and clusters made with this configuration report their
    /// operations (metrics, logs, traces: see pgasio/observer.hpp). Null: the process's
    /// default_observer() when a connection opens, usually none. Not part of connection strings.
    std::shared_ptr<pgasio::observer> observer;

    /// Records the sessions opened with this configuration, or serves them from a recording
    /// with no server at all (see pgasio/wire_simulation.hpp; pgasio::simulation::record() and
    /// replay() in pgasio/simulation.hpp make one). Null: sessions talk to the server, unobserved.
    /// Not part of connection strings.
    std::shared_ptr<wire_simulation> simulation;

    /// Parses a connection string, reading the environment of the process for what it does not
    /// set (see the struct's comment for precedence).
    ///
    /// `conninfo` is either a libpq key/value string, `host=db1 port=5433 dbname='my db'`
    /// (whitespace around '=' allowed; single-quoted values with \' and \\ escapes; '' for an
    /// empty value; a backslash also escapes the next character of an unquoted value), or a URI,
    /// `postgresql://[user[:password]@][host][:port][,host[:port]...][/dbname][?key=value&...]`
    /// (also `postgres://`; the scheme in any case, white space before it allowed): every part
    /// percent-decoded (a bad escape or %00 is an error), IPv6 addresses in brackets
    /// (`[::1]:5432`), unix socket directories percent-encoded
    /// (`postgresql://%2Fvar%2Frun%2Fpostgresql/db`) or as `?host=/path`, query keys are the same
    /// parameter names, plus `ssl=true` for sslmode=require. An empty string gives the
    /// environment's settings and the defaults.
    ///
    /// Errors (config_errc, with a message naming the parameter and value): invalid_syntax,
    /// invalid_uri, invalid_percent_encoding, unknown_parameter, unsupported_parameter,
    /// invalid_value, list_length_mismatch, conflicting_settings, unknown_user.
    ///
    /// \code
    /// auto cfg = pgasio::config::parse("postgresql://app@db1:5432,db2:5433/shop?sslmode=require");
    /// if (!cfg) fmt::print("bad configuration: {}\n", cfg.error().message);
    /// \endcode
    static boost::system::result<config, config_error> parse(std::string_view conninfo);

    /// Parses a connection string as parse(conninfo) does, reading the libpq variables and HOME
    /// from `env` instead of the process's environment.
    static boost::system::result<config, config_error> parse(std::string_view conninfo,
                                                             const environment& env);

    /// The configuration given by the process's environment and the defaults alone (`parse("")`).
    static boost::system::result<config, config_error> from_environment();

    /// Starts a builder from a connection string (parsed, with the settings given to the builder
    /// winning over it, when build() is called).
    ///
    /// \code
    /// auto cfg = pgasio::config::builder("postgresql://app@db1/shop")
    ///                .pool_size(5, 50)
    ///                .query_timeout(std::chrono::seconds(10))
    ///                .application_name("shop-api")
    ///                .build();
    /// \endcode
    static config_builder builder(std::string conninfo = {});

    /// Checks the rules parse() enforces, for a config filled or edited by hand: user and dbname
    /// not empty (a default-constructed config has neither), hosts not empty,
    /// each with a host or hostaddr, no port 0, hostaddr numeric; sslnegotiation=direct only with
    /// sslmode require or stronger; sslrootcert=system only with verify-full; channel_binding=
    /// require not with sslmode=disable; require_auth not empty; max_message_size in range;
    /// durations and keepalives_count not negative; pool min_connections <= max_connections,
    /// max_connections >= 1, pool durations not negative; connect_timeout and the pool
    /// durations at most 100 years (milliseconds::max() is refused: write 0 where an option
    /// takes it for "none"); each replica checked as a host, and none also in hosts.
    [[nodiscard]] boost::system::result<void, config_error> validate() const;

    /// A key=value connection string that parses back to this configuration, without the
    /// password or sslpassword (and without the pool settings and the replicas, which are not
    /// connection string parameters: fmt and operator<< show them), for logs. Empty strings are
    /// left out, values are quoted when needed.
    [[nodiscard]] std::string to_string() const;

    /// Equal when every setting is (the password compared as a secret_string is).
    friend bool operator==(const config&, const config&) = default;
};

/// Every setting, for logs: to_string(), then `password=<redacted>` and `sslpassword=<redacted>`
/// when they are set, then the replicas when there are any (`(replicas: db2:5433, db3:5432)`),
/// then the pool's settings in parentheses.
std::ostream& operator<<(std::ostream& os, const config& cfg);

/// Builds a config from a connection string and settings given one by one; build() reports every
/// error parse() or validate() would, e.g. pool_size(10, 5) gives conflicting_settings,
/// "min_connections 10 > max_connections 5".
///
/// Settings given to the builder win over the connection string and the environment. set()
/// takes any connection string parameter with its string value, checked as in a string.
class config_builder {
public:
    /// Starts from `conninfo` (may be empty).
    explicit config_builder(std::string conninfo = {});

    /// Reads the environment from `env` instead of the process's.
    config_builder& env(environment env);
    /// Sets any connection string parameter (`set("sslmode", "require")`); errors at build().
    config_builder& set(std::string key, std::string value);
    /// Sets the password (kept as a secret_string throughout).
    config_builder& password(secret_string password);
    /// Sets the password from its text (`.password("s3cret")`), kept as a secret_string from
    /// here on; the caller's copy is the caller's to wipe.
    config_builder& password(std::string_view password);
    /// Sets the user name.
    config_builder& user(std::string user);
    /// Sets the database name.
    config_builder& dbname(std::string dbname);
    /// Sets application_name.
    config_builder& application_name(std::string name);
    /// Sets sslmode.
    config_builder& sslmode(ssl_mode mode);
    /// Sets connect_timeout (whole seconds; below 2 s but above zero is raised to 2 s).
    config_builder& connect_timeout(std::chrono::seconds timeout);
    /// Sets statement_timeout.
    config_builder& statement_timeout(std::chrono::milliseconds timeout);
    /// Sets statement_cache_capacity (0 disables the statement cache).
    config_builder& statement_cache_capacity(std::size_t capacity);
    /// Sets default_query_exec_mode.
    config_builder& default_query_exec_mode(query_exec_mode mode);
    /// Sets pipeline_read_pause (zero turns it off; more than 1 s fails build()).
    config_builder& pipeline_read_pause(std::chrono::microseconds pause);
    /// Sets pipeline_read_pause_depth (zero fails build()).
    config_builder& pipeline_read_pause_depth(std::size_t requests);
    /// Sets pool.min_connections and pool.max_connections.
    config_builder& pool_size(std::size_t min_connections, std::size_t max_connections);
    /// Sets pool.query_timeout.
    config_builder& query_timeout(std::chrono::milliseconds timeout);
    /// Sets pool.acquire_timeout.
    config_builder& acquire_timeout(std::chrono::milliseconds timeout);
    /// Sets pool.idle_timeout.
    config_builder& idle_timeout(std::chrono::milliseconds timeout);
    /// Sets pool.max_lifetime.
    config_builder& max_lifetime(std::chrono::milliseconds lifetime);
    /// Sets pool.health_check_interval.
    config_builder& health_check_interval(std::chrono::milliseconds interval);
    /// Sets pool.check_idle_after.
    config_builder& check_idle_after(std::chrono::milliseconds idle);
    /// Sets pool.max_connecting.
    config_builder& max_connecting(std::size_t connections);
    /// Sets pool.leak_threshold.
    config_builder& leak_threshold(std::chrono::milliseconds threshold);
    /// Sets pool.reset_query (e.g. "DISCARD ALL").
    config_builder& reset_query(std::string sql);
    /// Sets pool.name.
    config_builder& pool_name(std::string name);
    /// Sets pool.thread_safe.
    config_builder& thread_safe(bool on);

    /// Adds replicas (config::replicas): every host of `url_or_host`, either a URI
    /// (`postgresql://replica1:5433/db`, several hosts as in any URI:
    /// `postgresql://r1,r2:5433/db`) or its host list alone (`replica1:5433`, `[::1]`, `r1,r2`).
    /// A port left out is 5432, as in a URI; the environment (PGHOST, PGPORT) does not apply.
    /// A replica is reached with the primary's settings, so a URI may repeat the primary's
    /// user, dbname and password but set nothing else.
    ///
    /// Errors, at build(): those of URI syntax and host lists (as config::parse); a text that
    /// is neither a URI nor a host list (invalid_value); a URI without a host (invalid_value);
    /// a user, dbname or password other than the primary's, or any other parameter
    /// (conflicting_settings); a replica also among the primary's hosts (conflicting_settings).
    /// Messages never quote the text: it may hold a password.
    /// \code
    /// auto cfg = pgasio::config::builder("postgresql://app@primary/shop")
    ///                .add_replica("postgresql://app@replica1:5433/shop")
    ///                .add_replica("replica2")
    ///                .build();
    /// \endcode
    config_builder& add_replica(std::string_view url_or_host);

    /// Sets config::simulation: sessions recorded to, or replayed from, a fixture.
    /// \code
    /// auto cfg = pgasio::config::builder("postgresql://localhost/test")
    ///                .simulation(pgasio::simulation::replay("tests/fixtures/users.json"))
    ///                .build();
    /// \endcode
    config_builder& simulation(std::shared_ptr<wire_simulation> sim);

    /// Parses, applies the settings, validates. Errors: those of config::parse and
    /// config::validate.
    [[nodiscard]] boost::system::result<config, config_error> build() const;

private:
    std::string conninfo_;
    environment env_;
    std::vector<std::pair<std::string, std::string>> settings_;
    secret_string password_;
    bool has_password_ = false;
    pool_options pool_;
    std::vector<std::string> replicas_;
    std::shared_ptr<wire_simulation> simulation_;
};

/// The libpq name of a value (`verify-full`, `prefer-standby`, ...).
std::string_view to_string(ssl_mode v) noexcept;
/// The libpq name of a value.
std::string_view to_string(ssl_negotiation v) noexcept;
/// The libpq name of a value.
std::string_view to_string(channel_binding_mode v) noexcept;
/// The libpq name of a value.
std::string_view to_string(session_attrs v) noexcept;
/// The libpq name of a value.
std::string_view to_string(load_balance_mode v) noexcept;
/// The libpq name of a value (`scram-sha-256`, ...).
std::string_view to_string(auth_method v) noexcept;
/// The allowed methods as a require_auth list (`password,scram-sha-256`); every method listed
/// when all are allowed, "" when none is.
std::string to_string(auth_method_set v);

} // namespace pgasio

/// Formats a config as its operator<< does (the password is never shown).
template <>
struct fmt::formatter<pgasio::config> : fmt::formatter<std::string_view> {
    template <typename FormatContext>
    auto format(const pgasio::config& cfg, FormatContext& ctx) const -> decltype(ctx.out()) {
        return fmt::formatter<std::string_view>::format(describe(cfg), ctx);
    }

private:
    static std::string describe(const pgasio::config& cfg);
};
