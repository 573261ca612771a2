// Connecting to the real servers that tools/pg starts: every auth method, every sslmode, channel
// binding, unix sockets, password files, several hosts, target_session_attrs, timeouts.
#include <pgasio/connection.hpp>

#include "support/pg_env.hpp"
#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>

namespace asio = boost::asio;
using pgasio::client_errc;
using pgasio::config;
using pgasio::test::pg_setting;

namespace {

// Tests configure everything explicitly: the environment of whoever runs them must not leak in.
pgasio::environment no_env() {
    return [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
}

config parse(const std::string& conninfo) {
    auto cfg = config::parse(conninfo, no_env());
    if (!cfg) FAIL("bad test configuration: " << cfg.error().message);
    return *cfg;
}

std::string host() {
    return pg_setting("PGASIO_TEST_HOST");
}
std::string primary_port() {
    return pg_setting("PGASIO_TEST_PRIMARY_PORT");
}
std::string replica_port() {
    return pg_setting("PGASIO_TEST_REPLICA_PORT");
}
std::string database() {
    return pg_setting("PGASIO_TEST_DATABASE");
}
std::string user(const std::string& method) {
    return pg_setting("PGASIO_TEST_" + method + "_USER");
}
std::string password(const std::string& method) {
    return pg_setting("PGASIO_TEST_" + method + "_PASSWORD");
}
// A key=value string for `method`'s user on the primary, with extra settings appended.
std::string conninfo(const std::string& method, const std::string& extra = "",
                     const std::string& port = primary_port()) {
    return "host=" + host() + " port=" + port + " dbname=" + database() + " user=" + user(method) +
           " password='" + password(method) + "' " + extra;
}

// A loopback port nobody listens on: bound once by us, then released.
std::string dead_port() {
    asio::io_context ctx;
    asio::ip::tcp::acceptor a(ctx, {asio::ip::make_address("127.0.0.1"), 0});
    return std::to_string(a.local_endpoint().port());
}

struct outcome {
    pgasio::error_code ec;
    pgasio::diagnostics diag;
    bool tls = false;
    bool channel_binding = false;
    std::string session_user;
    std::string in_hot_standby;
    std::uint16_t port = 0;
};

// Connects, records what happened, closes.
outcome try_connect(const config& cfg) {
    return pgasio::test::run([&](asio::any_io_executor ex) -> asio::awaitable<outcome> {
        pgasio::connection conn(ex);
        outcome out;
        std::tie(out.ec) =
            co_await conn.async_connect(cfg, out.diag, asio::as_tuple(asio::deferred));
        if (!out.ec) {
            CHECK(conn.is_open());
            CHECK(conn.backend_pid() > 0);
            out.tls = conn.uses_tls();
            out.channel_binding = conn.uses_channel_binding();
            out.session_user = std::string(conn.parameter("session_authorization").value_or(""));
            out.in_hot_standby = std::string(conn.parameter("in_hot_standby").value_or(""));
            out.port = conn.host().port;
            co_await conn.async_close();
            CHECK(!conn.is_open());
        } else {
            CHECK(!conn.is_open());
        }
        co_return out;
    });
}

void require_ok(const outcome& o) {
    INFO(pgasio::format_error(o.ec, o.diag));
    REQUIRE(!o.ec);
}

} // namespace

TEST_CASE("connect: every authentication method with the right secret") {
    for (std::string method : {"TRUST", "PASSWORD", "MD5", "SCRAM", "ADMIN"}) {
        INFO(method);
        const auto o = try_connect(parse(conninfo(method, "sslmode=disable")));
        require_ok(o);
        CHECK(o.session_user == user(method));
    }
}

TEST_CASE("connect: a wrong password fails with the server's error, never showing the password") {
    for (std::string method : {"PASSWORD", "MD5", "SCRAM"}) {
        INFO(method);
        const std::string wrong = "Wr0ng-" + method + "-s3cret";
        auto cfg = parse(conninfo(method, "sslmode=disable"));
        cfg.password = pgasio::secret_string(wrong);
        const auto o = try_connect(cfg);
        CHECK(o.ec == pgasio::sqlstate::invalid_password);
        const auto text = pgasio::format_error(o.ec, o.diag);
        CHECK_THAT(text, Catch::Contains("password authentication failed"));
        CHECK(text.find(wrong) == std::string::npos);
    }
}

TEST_CASE("connect: a password-less configuration for a password method says so") {
    auto cfg = parse(conninfo("SCRAM", "sslmode=disable"));
    cfg.password = pgasio::secret_string();
    cfg.passfile = "/nonexistent/pgpass";
    const auto o = try_connect(cfg);
    CHECK(o.ec == client_errc::password_required);
}

TEST_CASE("connect: the default token throws pgasio::error with the diagnostics") {
    auto cfg = parse(conninfo("SCRAM", "sslmode=disable dbname=no_such_database"));
    pgasio::test::run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::connection conn(ex);
        try {
            co_await conn.async_connect(cfg);
            FAIL("connecting to a missing database succeeded");
        } catch (const pgasio::error& e) {
            CHECK(e.code() == pgasio::sqlstate::invalid_catalog_name);
            CHECK_THAT(e.what(), Catch::StartsWith("3D000 invalid_catalog_name: database "
                                                   "\"no_such_database\" does not exist"));
            CHECK(e.diag().severity == "FATAL");
        }
    });
}

TEST_CASE("connect: client certificate authentication") {
    const auto certs = " sslrootcert=" + pg_setting("PGASIO_TEST_CA_FILE") +
                       " sslcert=" + pg_setting("PGASIO_TEST_CLIENT_CERT") +
                       " sslkey=" + pg_setting("PGASIO_TEST_CLIENT_KEY");
    const auto ok = try_connect(parse(conninfo("CERT", "sslmode=verify-full" + certs)));
    require_ok(ok);
    CHECK(ok.tls);
    CHECK(ok.session_user == user("CERT"));
    // Without the certificate the server refuses the user.
    const auto no_cert =
        try_connect(parse(conninfo("CERT", "sslmode=require sslcert=/nonexistent")));
    CHECK(no_cert.ec.category() == pgasio::sqlstate_category());
}

TEST_CASE("connect: a hostssl-only user is refused in clear text and accepted over TLS") {
    const auto plain = try_connect(parse(conninfo("SSL_ONLY", "sslmode=disable")));
    CHECK(plain.ec.category() == pgasio::sqlstate_category());
    const auto tls = try_connect(parse(conninfo("SSL_ONLY", "sslmode=require")));
    require_ok(tls);
    CHECK(tls.tls);
    // sslmode=allow tries plain first, then TLS once the server refuses.
    const auto allow = try_connect(parse(conninfo("SSL_ONLY", "sslmode=allow")));
    require_ok(allow);
    CHECK(allow.tls);
}

TEST_CASE("connect: every sslmode against the TLS primary and the plain replica") {
    const std::string ca = " sslrootcert=" + pg_setting("PGASIO_TEST_CA_FILE");
    struct expectation {
        std::string mode;
        bool primary_tls;      // TLS used against the primary (TLS on)
        bool replica_connects; // the replica has TLS off
    };
    const expectation cases[] = {
        {"disable", false, true}, {"allow", false, true},     {"prefer", true, true},
        {"require", true, false}, {"verify-ca", true, false}, {"verify-full", true, false},
    };
    for (const auto& c : cases) {
        INFO("sslmode=" << c.mode);
        const auto p = try_connect(parse(conninfo("SCRAM", "sslmode=" + c.mode + ca)));
        require_ok(p);
        CHECK(p.tls == c.primary_tls);
        const auto r =
            try_connect(parse(conninfo("SCRAM", "sslmode=" + c.mode + ca, replica_port())));
        if (c.replica_connects) {
            require_ok(r);
            CHECK(!r.tls);
        } else {
            CHECK(r.ec == client_errc::tls_not_supported_by_server);
        }
    }
}

TEST_CASE("connect: verify-full checks the host name, verify-ca only the chain") {
    const std::string ca = " sslrootcert=" + pg_setting("PGASIO_TEST_CA_FILE");
    const auto by_name =
        try_connect(parse(conninfo("SCRAM", "sslmode=verify-full host=localhost" + ca)));
    require_ok(by_name);
    const auto wrong = pg_setting("PGASIO_TEST_WRONG_NAME_HOST");
    const auto refused =
        try_connect(parse(conninfo("SCRAM", "sslmode=verify-full host=" + wrong + ca)));
    CHECK(refused.ec);
    CHECK_THAT(refused.diag.message,
               Catch::Contains("TLS handshake") && Catch::Contains("certificate"));
    const auto chain_only =
        try_connect(parse(conninfo("SCRAM", "sslmode=verify-ca host=" + wrong + ca)));
    require_ok(chain_only);
    // A root that did not sign the server's certificate fails verify-ca.
    const auto system_roots =
        try_connect(parse(conninfo("SCRAM", "sslmode=verify-full sslrootcert=system")));
    CHECK(system_roots.ec);
}

TEST_CASE("connect: channel binding is used when offered, and enforced when required") {
    const auto tls = try_connect(parse(conninfo("SCRAM", "sslmode=require")));
    require_ok(tls);
    CHECK(tls.channel_binding);
    const auto disabled =
        try_connect(parse(conninfo("SCRAM", "sslmode=require channel_binding=disable")));
    require_ok(disabled);
    CHECK(!disabled.channel_binding);
    const auto required =
        try_connect(parse(conninfo("SCRAM", "sslmode=require channel_binding=require")));
    require_ok(required);
    CHECK(required.channel_binding);
    // Without TLS there is nothing to bind to: require refuses rather than send the proof.
    const auto plain = try_connect(
        parse(conninfo("SCRAM", "sslmode=prefer channel_binding=require", replica_port())));
    CHECK(plain.ec == client_errc::scram_channel_binding_unavailable);
    // An MD5 server cannot bind either.
    const auto md5 = try_connect(parse(conninfo("MD5", "sslmode=require channel_binding=require")));
    CHECK(md5.ec == client_errc::scram_channel_binding_unavailable);
}

TEST_CASE("connect: require_auth refuses methods the client does not accept") {
    const auto md5 =
        try_connect(parse(conninfo("MD5", "sslmode=disable require_auth=scram-sha-256")));
    CHECK(md5.ec == client_errc::authentication_method_refused);
    CHECK_THAT(md5.diag.message, Catch::Contains("MD5"));
    const auto cleartext =
        try_connect(parse(conninfo("PASSWORD", "sslmode=disable require_auth=!password")));
    CHECK(cleartext.ec == client_errc::authentication_method_refused);
    const auto trust =
        try_connect(parse(conninfo("TRUST", "sslmode=disable require_auth=scram-sha-256")));
    CHECK(trust.ec == client_errc::authentication_method_refused);
    require_ok(try_connect(parse(conninfo("SCRAM", "sslmode=disable require_auth=scram-sha-256"))));
}

TEST_CASE("connect: unix-domain socket") {
    const auto o =
        try_connect(parse("host=" + pg_setting("PGASIO_TEST_SOCKET_DIR") +
                          " port=" + primary_port() + " dbname=" + database() +
                          " user=" + user("SCRAM") + " password='" + password("SCRAM") + "'"));
    require_ok(o);
    CHECK(!o.tls);
}

TEST_CASE("connect: a URL from the test setup, and the environment variables") {
    require_ok(try_connect(parse(pg_setting("PGASIO_TEST_PRIMARY_URL"))));
    std::map<std::string, std::string, std::less<>> env{
        {"PGHOST", host()},        {"PGPORT", primary_port()},        {"PGDATABASE", database()},
        {"PGUSER", user("SCRAM")}, {"PGPASSWORD", password("SCRAM")}, {"PGSSLMODE", "require"},
    };
    auto cfg = config::parse("", [&](std::string_view name) -> std::optional<std::string> {
        const auto it = env.find(name);
        if (it == env.end()) return std::nullopt;
        return it->second;
    });
    REQUIRE(cfg.has_value());
    const auto o = try_connect(*cfg);
    require_ok(o);
    CHECK(o.tls);
}

TEST_CASE("connect: the password file supplies a missing password") {
    const auto dir = std::filesystem::temp_directory_path() / "pgasio-pgpass-test";
    std::filesystem::create_directories(dir);
    const auto file = dir / "pgpass";
    std::ofstream(file) << "# comment\nother:*:*:*:nope\n"
                        << host() << ":" << primary_port() << ":*:" << user("SCRAM") << ":"
                        << password("SCRAM") << "\n";
    std::filesystem::permissions(file, std::filesystem::perms::owner_read |
                                           std::filesystem::perms::owner_write);
    auto cfg = parse("host=" + host() + " port=" + primary_port() + " dbname=" + database() +
                     " user=" + user("SCRAM") + " sslmode=disable passfile=" + file.string());
    require_ok(try_connect(cfg));
    // A file others can read is ignored, as libpq ignores it; the error says so (libpq warns).
    std::filesystem::permissions(file, std::filesystem::perms::group_read,
                                 std::filesystem::perm_options::add);
    const auto ignored = try_connect(cfg);
    CHECK(ignored.ec == client_errc::password_required);
    CHECK_THAT(ignored.diag.message,
               Catch::Contains("has group or world access; permissions should be u=rw (0600) or "
                               "less, so it was not read"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("connect: several hosts, the first one dead") {
    const auto dead = dead_port();
    const auto o =
        try_connect(parse(conninfo("SCRAM", "sslmode=disable host=" + host() + "," + host() +
                                                " port=" + dead + "," + primary_port())));
    require_ok(o);
    CHECK(std::to_string(o.port) == primary_port());
    // All dead: the error lists every attempt.
    const auto none = try_connect(parse(conninfo(
        "SCRAM", "sslmode=disable host=" + host() + "," + host() + " port=" + dead + "," + dead)));
    CHECK(none.ec == asio::error::connection_refused);
    CHECK_THAT(none.diag.message, Catch::Contains("every connection attempt failed"));
}

TEST_CASE("connect: target_session_attrs picks the primary or the replica") {
    const std::string both = "host=" + host() + "," + host() + " port=" + replica_port() + "," +
                             primary_port() + " sslmode=disable";
    struct expectation {
        std::string attrs;
        std::string port;
    };
    const expectation cases[] = {
        {"any", replica_port()},     {"read-write", primary_port()},
        {"primary", primary_port()}, {"read-only", replica_port()},
        {"standby", replica_port()}, {"prefer-standby", replica_port()},
    };
    for (const auto& c : cases) {
        INFO("target_session_attrs=" << c.attrs);
        const auto o =
            try_connect(parse(conninfo("SCRAM", both + " target_session_attrs=" + c.attrs)));
        require_ok(o);
        CHECK(std::to_string(o.port) == c.port);
        CHECK(o.in_hot_standby == (c.port == replica_port() ? "on" : "off"));
    }
    // Only the primary listed: standby fails, prefer-standby falls back to it.
    const auto standby =
        try_connect(parse(conninfo("SCRAM", "sslmode=disable target_session_attrs=standby")));
    CHECK(standby.ec == client_errc::session_attrs_mismatch);
    require_ok(try_connect(
        parse(conninfo("SCRAM", "sslmode=disable target_session_attrs=prefer-standby"))));
}

TEST_CASE("connect: connect_timeout bounds a server that never answers") {
    // A listener that accepts and then says nothing: the startup never completes.
    asio::io_context listener_ctx;
    asio::ip::tcp::acceptor acceptor(listener_ctx, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = acceptor.local_endpoint().port();
    auto cfg =
        parse(conninfo("SCRAM", "sslmode=disable connect_timeout=2 port=" + std::to_string(port)));
    const auto start = std::chrono::steady_clock::now();
    const auto o = try_connect(cfg);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(o.ec == client_errc::connect_timeout);
    CHECK(took >= std::chrono::milliseconds(1900));
    CHECK(took < std::chrono::seconds(10));
}

TEST_CASE("connect: asking for protocol 3.2, PostgreSQL 15 negotiates down to 3.0") {
    pgasio::test::run([](asio::any_io_executor ex) -> asio::awaitable<void> {
        pgasio::connection conn(ex);
        co_await conn.async_connect(
            parse(conninfo("SCRAM", "sslmode=disable max_protocol_version=3.2")));
        CHECK(conn.protocol_version() == pgasio::protocol::protocol_version::v3_0);
        CHECK(conn.backend_pid() > 0);
        co_await conn.async_close();
    });
}
