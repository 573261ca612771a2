#include <pgasio/config.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <pwd.h>
#include <unistd.h>

#include <sstream>

using namespace std::chrono_literals;
using pgasio::config;
using pgasio::config_errc;
using pgasio::host_spec;

namespace {

// A fixed environment: only HOME, so that the defaults do not depend on the machine.
pgasio::environment test_env(std::map<std::string, std::string, std::less<>> vars = {}) {
    vars.emplace("HOME", "/home/tester");
    return pgasio::map_environment(std::move(vars));
}

config parse_ok(std::string_view conninfo, const pgasio::environment& env = test_env()) {
    auto r = config::parse(conninfo, env);
    if (!r) FAIL("parse failed: " << r.error().message);
    return *r;
}

pgasio::config_error parse_error(std::string_view conninfo,
                                 const pgasio::environment& env = test_env()) {
    auto r = config::parse(conninfo, env);
    if (r) FAIL("parse succeeded: " << r->to_string());
    return r.error();
}

std::string os_user() {
    return getpwuid(geteuid())->pw_name;
}

} // namespace

TEST_CASE("config: defaults are libpq's") {
    auto cfg = parse_ok("");
    REQUIRE(cfg.hosts.size() == 1);
    CHECK(cfg.hosts[0] == host_spec{"/var/run/postgresql", "", 5432});
    CHECK(cfg.hosts[0].is_unix_socket());
    CHECK(cfg.hosts[0].unix_socket_path() == "/var/run/postgresql/.s.PGSQL.5432");
    CHECK(cfg.user == os_user());
    CHECK(cfg.dbname == cfg.user);
    CHECK(cfg.password.empty());
    CHECK(cfg.passfile == "/home/tester/.pgpass");
    CHECK(cfg.sslmode == pgasio::ssl_mode::prefer);
    CHECK(cfg.sslnegotiation == pgasio::ssl_negotiation::postgres);
    CHECK(cfg.sslrootcert == "/home/tester/.postgresql/root.crt");
    CHECK(cfg.sslcert == "/home/tester/.postgresql/postgresql.crt");
    CHECK(cfg.sslkey == "/home/tester/.postgresql/postgresql.key");
    CHECK(cfg.sslsni);
    CHECK(cfg.channel_binding == pgasio::channel_binding_mode::prefer);
    CHECK(cfg.require_auth.is_all());
    CHECK(cfg.target_session_attrs == pgasio::session_attrs::any);
    CHECK(cfg.load_balance_hosts == pgasio::load_balance_mode::disable);
    CHECK(cfg.connect_timeout == 0s);
    CHECK(cfg.keepalives);
    CHECK(cfg.statement_timeout == 0ms);
    CHECK(cfg.max_message_size == std::size_t{1} << 30);
    CHECK(cfg.max_protocol_version == pgasio::protocol::protocol_version::v3_0);
    CHECK(cfg.pool.min_connections == 5);
    CHECK(cfg.pool.max_connections == 20);
    CHECK(cfg.pool.query_timeout == 30s);
    CHECK(cfg.pool.acquire_timeout == 30s);
    CHECK(cfg.pool.idle_timeout == 30min);
    CHECK(cfg.pool.max_lifetime == 1h);
    CHECK(cfg.pool.health_check_interval == 1min);
    CHECK(cfg.validate());
}

TEST_CASE("config: key=value strings") {
    SECTION("whitespace around '=' and between pairs") {
        auto cfg = parse_ok("  host = db1\tport=5433\n user =alice dbname= shop ");
        CHECK(cfg.hosts == std::vector{host_spec{"db1", "", 5433}});
        CHECK(cfg.user == "alice");
        CHECK(cfg.dbname == "shop");
        CHECK_FALSE(cfg.hosts[0].is_unix_socket());
    }
    SECTION("quoted values with escapes") {
        auto cfg =
            parse_ok(R"(dbname='my db' application_name='it\'s \\ here' options='-c geqo=off')");
        CHECK(cfg.dbname == "my db");
        CHECK(cfg.application_name == R"(it's \ here)");
        CHECK(cfg.options == "-c geqo=off");
    }
    SECTION("a backslash escapes the next character of an unquoted value") {
        CHECK(parse_ok(R"(application_name=a\ b)").application_name == "a b");
    }
    SECTION("'' is an empty value, meaning the default") {
        auto cfg = parse_ok("user='' dbname=''", test_env({{"PGUSER", "env_user"}}));
        CHECK(cfg.user == os_user()); // explicit (empty) beats the environment
        CHECK(cfg.dbname == os_user());
    }
    SECTION("the last of repeated keys wins") {
        CHECK(parse_ok("port=1 port=2").hosts[0].port == 2);
    }
    SECTION("the password is stored as a secret") {
        auto cfg = parse_ok("password='p w'");
        CHECK(cfg.password.reveal() == "p w");
    }
    SECTION("every enumerated value") {
        using pgasio::ssl_mode;
        CHECK(parse_ok("sslmode=disable").sslmode == ssl_mode::disable);
        CHECK(parse_ok("sslmode=allow").sslmode == ssl_mode::allow);
        CHECK(parse_ok("sslmode=require").sslmode == ssl_mode::require);
        CHECK(parse_ok("sslmode=verify-ca").sslmode == ssl_mode::verify_ca);
        CHECK(parse_ok("sslmode=verify-full").sslmode == ssl_mode::verify_full);
        CHECK(parse_ok("sslmode=require sslnegotiation=direct").sslnegotiation ==
              pgasio::ssl_negotiation::direct);
        CHECK(parse_ok("channel_binding=require").channel_binding ==
              pgasio::channel_binding_mode::require);
        CHECK(parse_ok("channel_binding=disable").channel_binding ==
              pgasio::channel_binding_mode::disable);
        using pgasio::session_attrs;
        CHECK(parse_ok("target_session_attrs=read-write").target_session_attrs ==
              session_attrs::read_write);
        CHECK(parse_ok("target_session_attrs=read-only").target_session_attrs ==
              session_attrs::read_only);
        CHECK(parse_ok("target_session_attrs=primary").target_session_attrs ==
              session_attrs::primary);
        CHECK(parse_ok("target_session_attrs=standby").target_session_attrs ==
              session_attrs::standby);
        CHECK(parse_ok("target_session_attrs=prefer-standby").target_session_attrs ==
              session_attrs::prefer_standby);
        CHECK(parse_ok("load_balance_hosts=random").load_balance_hosts ==
              pgasio::load_balance_mode::random);
        CHECK(parse_ok("max_protocol_version=3.2").max_protocol_version ==
              pgasio::protocol::protocol_version::v3_2);
        CHECK(parse_ok("max_protocol_version=latest").max_protocol_version ==
              pgasio::protocol::protocol_version::v3_2);
    }
    SECTION("numbers, durations and sizes") {
        auto cfg = parse_ok("keepalives=0 keepalives_idle=60 keepalives_interval=5 "
                            "keepalives_count=3 sslsni=0 statement_timeout=1500 "
                            "max_message_size=64MB");
        CHECK_FALSE(cfg.keepalives);
        CHECK(cfg.keepalives_idle == 60s);
        CHECK(cfg.keepalives_interval == 5s);
        CHECK(cfg.keepalives_count == 3);
        CHECK_FALSE(cfg.sslsni);
        CHECK(cfg.statement_timeout == 1500ms);
        CHECK(cfg.max_message_size == 64u * 1024 * 1024);
        CHECK(parse_ok("statement_timeout=30s").statement_timeout == 30s);
        CHECK(parse_ok("statement_timeout='2 min'").statement_timeout == 2min);
        CHECK(parse_ok("statement_timeout=1h").statement_timeout == 1h);
        CHECK(parse_ok("statement_timeout=1d").statement_timeout == 24h);
        CHECK(parse_ok("max_message_size=8kB").max_message_size == 8192);
        CHECK(parse_ok("max_message_size=8192").max_message_size == 8192);
        CHECK(parse_ok("max_message_size=1GB").max_message_size == std::size_t{1} << 30);
    }
    SECTION("connect_timeout: none at zero or below, at least 2 seconds otherwise") {
        CHECK(parse_ok("connect_timeout=0").connect_timeout == 0s);
        CHECK(parse_ok("connect_timeout=-5").connect_timeout == 0s);
        CHECK(parse_ok("connect_timeout=1").connect_timeout == 2s);
        CHECK(parse_ok("connect_timeout=2").connect_timeout == 2s);
        CHECK(parse_ok("connect_timeout=' 10 '").connect_timeout == 10s);
    }
    SECTION("client_encoding accepts UTF8 spellings") {
        CHECK(parse_ok("client_encoding=UTF8").validate());
        CHECK(parse_ok("client_encoding=utf-8").validate());
        CHECK(parse_ok("client_encoding=Unicode").validate());
    }
    SECTION("gssencmode disable and prefer are accepted") {
        CHECK(parse_ok("gssencmode=disable").validate());
        CHECK(parse_ok("gssencmode=prefer").validate());
    }
    SECTION("sslrootcert=system implies verify-full") {
        auto cfg = parse_ok("sslrootcert=system");
        CHECK(cfg.sslrootcert == "system");
        CHECK(cfg.sslmode == pgasio::ssl_mode::verify_full);
    }
}

TEST_CASE("config: require_auth") {
    using pgasio::auth_method;
    auto positive = parse_ok("require_auth=scram-sha-256,none").require_auth;
    CHECK(positive.contains(auth_method::scram_sha_256));
    CHECK(positive.contains(auth_method::none));
    CHECK_FALSE(positive.contains(auth_method::password));
    CHECK_FALSE(positive.contains(auth_method::md5));
    CHECK(pgasio::to_string(positive) == "none,scram-sha-256");

    auto negative = parse_ok("require_auth=!password,!md5").require_auth;
    CHECK_FALSE(negative.contains(auth_method::password));
    CHECK_FALSE(negative.contains(auth_method::md5));
    CHECK(negative.contains(auth_method::scram_sha_256));
    CHECK(negative.contains(auth_method::none));
    CHECK(negative.contains(auth_method::gss));
    CHECK(negative.contains(auth_method::sspi));

    auto e = parse_error("require_auth=password,!md5");
    CHECK(e.code == config_errc::invalid_value);
    CHECK(e.message == "require_auth cannot mix negated ('!') and plain methods");
    e = parse_error("require_auth=kerberos");
    CHECK(e.message.find("unknown require_auth method 'kerberos'") == 0);
    e = parse_error("require_auth=md5,md5");
    CHECK(e.message == "require_auth method 'md5' is listed more than once");
    e = parse_error("require_auth=!none,!password,!md5,!scram-sha-256,!gss,!sspi");
    CHECK(e.message == "require_auth allows no authentication method");
}

TEST_CASE("config: host lists") {
    SECTION("one port for every host") {
        auto cfg = parse_ok("host=a,b,c port=6000");
        CHECK(cfg.hosts == std::vector{host_spec{"a", "", 6000}, host_spec{"b", "", 6000},
                                       host_spec{"c", "", 6000}});
    }
    SECTION("a port per host; an empty entry means 5432") {
        auto cfg = parse_ok("host=a,b,c port=1,,3");
        CHECK(cfg.hosts ==
              std::vector{host_spec{"a", "", 1}, host_spec{"b", "", 5432}, host_spec{"c", "", 3}});
    }
    SECTION("an empty host entry means the default socket directory") {
        auto cfg = parse_ok("host=a,");
        REQUIRE(cfg.hosts.size() == 2);
        CHECK(cfg.hosts[1].host == "/var/run/postgresql");
    }
    SECTION("hostaddr with and without host") {
        auto cfg = parse_ok("host=db1,db2 hostaddr=10.0.0.1,::1");
        CHECK(cfg.hosts ==
              std::vector{host_spec{"db1", "10.0.0.1", 5432}, host_spec{"db2", "::1", 5432}});
        auto only_addr = parse_ok("hostaddr=127.0.0.1");
        CHECK(only_addr.hosts == std::vector{host_spec{"", "127.0.0.1", 5432}});
        CHECK_FALSE(only_addr.hosts[0].is_unix_socket());
    }
    SECTION("unix socket directories, including the abstract namespace") {
        auto cfg = parse_ok("host=/tmp,@pg port=5555");
        CHECK(cfg.hosts[0].is_unix_socket());
        CHECK(cfg.hosts[0].unix_socket_path() == "/tmp/.s.PGSQL.5555");
        CHECK(cfg.hosts[1].is_unix_socket());
        CHECK(cfg.hosts[1].unix_socket_path() == "@pg/.s.PGSQL.5555");
    }
    SECTION("a hostaddr makes a socket-like host a TCP connection") {
        CHECK_FALSE(parse_ok("host=/tmp hostaddr=127.0.0.1").hosts[0].is_unix_socket());
    }
    SECTION("mismatched lists") {
        auto e = parse_error("host=a,b port=1,2,3");
        CHECK(e.code == config_errc::list_length_mismatch);
        CHECK(e.message == "could not match 3 port numbers to 2 hosts");
        e = parse_error("host=a,b hostaddr=127.0.0.1");
        CHECK(e.code == config_errc::list_length_mismatch);
        CHECK(e.message == "could not match 2 host names to 1 hostaddr values");
    }
}

TEST_CASE("config: URIs") {
    SECTION("everything at once") {
        auto cfg = parse_ok("postgresql://alice:s3cret@db1:5433,db2/shop?sslmode=require&"
                            "application_name=api");
        CHECK(cfg.user == "alice");
        CHECK(cfg.password.reveal() == "s3cret");
        CHECK(cfg.hosts == std::vector{host_spec{"db1", "", 5433}, host_spec{"db2", "", 5432}});
        CHECK(cfg.dbname == "shop");
        CHECK(cfg.sslmode == pgasio::ssl_mode::require);
        CHECK(cfg.application_name == "api");
    }
    SECTION("postgres:// too, and nothing after the scheme") {
        auto cfg = parse_ok("postgres://");
        CHECK(cfg.hosts[0].host == "/var/run/postgresql");
        CHECK(parse_ok("postgres://h").hosts[0].host == "h");
    }
    SECTION("the scheme in any case, after white space (as a URI's scheme is, RFC 3986)") {
        for (std::string_view uri : {" postgresql://bob:pw@h/db", "\tpostgres://bob:pw@h/db",
                                     "POSTGRESQL://bob:pw@h/db", "Postgres://bob:pw@h/db"}) {
            INFO(uri);
            auto cfg = parse_ok(uri);
            CHECK(cfg.user == "bob");
            CHECK(cfg.password.reveal() == "pw");
            CHECK(cfg.hosts[0].host == "h");
            CHECK(cfg.dbname == "db");
        }
    }
    SECTION("percent-decoding everywhere") {
        auto cfg = parse_ok("postgresql://us%40er:p%3Aw%2F@h%2Dx/my%20db?application_name=a%26b");
        CHECK(cfg.user == "us@er");
        CHECK(cfg.password.reveal() == "p:w/");
        CHECK(cfg.hosts[0].host == "h-x");
        CHECK(cfg.dbname == "my db");
        CHECK(cfg.application_name == "a&b");
    }
    SECTION("IPv6 addresses") {
        auto cfg = parse_ok("postgresql://[::1]:5433,[fe80::1%25eth0],[2001:db8::2]/db");
        CHECK(cfg.hosts == std::vector{host_spec{"::1", "", 5433},
                                       host_spec{"fe80::1%eth0", "", 5432},
                                       host_spec{"2001:db8::2", "", 5432}});
    }
    SECTION("unix sockets: percent-encoded host or query parameter") {
        auto a = parse_ok("postgresql://%2Fvar%2Flib%2Fpostgresql/db");
        CHECK(a.hosts[0].host == "/var/lib/postgresql");
        CHECK(a.hosts[0].is_unix_socket());
        auto b = parse_ok("postgresql:///db?host=/tmp&port=5434");
        CHECK(b.hosts == std::vector{host_spec{"/tmp", "", 5434}});
        CHECK(b.dbname == "db");
        auto c = parse_ok("postgresql://?host=%2Ftmp");
        CHECK(c.hosts[0].host == "/tmp");
    }
    SECTION("a port list in the query") {
        auto cfg = parse_ok("postgresql://a,b/db?port=5432,5433");
        CHECK(cfg.hosts == std::vector{host_spec{"a", "", 5432}, host_spec{"b", "", 5433}});
        auto e = parse_error("postgresql://a,b/db?port=1,2,3");
        CHECK(e.code == config_errc::list_length_mismatch);
    }
    SECTION("a port without a host") {
        auto cfg = parse_ok("postgresql://:6543/db");
        CHECK(cfg.hosts == std::vector{host_spec{"/var/run/postgresql", "", 6543}});
    }
    SECTION("user without password; empty password") {
        auto cfg = parse_ok("postgresql://bob@h");
        CHECK(cfg.user == "bob");
        CHECK(cfg.password.empty());
        CHECK(parse_ok("postgresql://bob:@h").password.empty());
    }
    SECTION("ssl=true means sslmode=require") {
        CHECK(parse_ok("postgresql://h?ssl=true").sslmode == pgasio::ssl_mode::require);
        auto e = parse_error("postgresql://h?ssl=yes");
        CHECK(e.code == config_errc::invalid_value);
        CHECK(e.message.find("invalid ssl value 'yes'") == 0);
    }
    SECTION("empty query parameters are skipped") {
        CHECK(parse_ok("postgresql://h/db?&&sslmode=disable&").sslmode ==
              pgasio::ssl_mode::disable);
    }
    SECTION("query keys are percent-decoded too") {
        CHECK(parse_ok("postgresql://h?application%5Fname=x").application_name == "x");
    }
}

TEST_CASE("config: URI errors") {
    auto e = parse_error("postgresql://h/db%zz");
    CHECK(e.code == config_errc::invalid_percent_encoding);
    CHECK(e.message.find("the database name") != std::string::npos);
    e = parse_error("postgresql://h/db%2");
    CHECK(e.code == config_errc::invalid_percent_encoding);
    e = parse_error("postgresql://h/db%00x");
    CHECK(e.code == config_errc::invalid_percent_encoding);
    e = parse_error("postgresql://h%G1/db");
    CHECK(e.code == config_errc::invalid_percent_encoding);
    CHECK(e.message.find("the host 'h%G1'") != std::string::npos);
    e = parse_error("postgresql://us%er@h");
    CHECK(e.message.find("the user name") != std::string::npos);
    e = parse_error("postgresql://[::1/db");
    CHECK(e.code == config_errc::invalid_uri);
    CHECK(e.message == "unterminated IPv6 address '[::1' in the URI (missing ']')");
    e = parse_error("postgresql://[]/db");
    CHECK(e.message == "empty IPv6 address '[]' in the URI");
    e = parse_error("postgresql://[::1]x/db");
    CHECK(e.message == "unexpected text 'x' after the IPv6 address in the URI");
    e = parse_error("postgresql://h/db?sslmode");
    CHECK(e.code == config_errc::invalid_uri);
    CHECK(e.message == "missing '=' in the URI query parameter 'sslmode'");
    e = parse_error("postgresql://h/db?options=-c%20a=b");
    CHECK(e.message == "extra '=' in the URI query parameter 'options' (percent-encode it as %3D)");
    e = parse_error("postgresql://h/db?colour=blue");
    CHECK(e.code == config_errc::unknown_parameter);
    CHECK(e.message == "unknown connection parameter 'colour'");
    e = parse_error("postgresql://h/db?application_name=%zz");
    CHECK(e.message.find("query parameter 'application_name'") != std::string::npos);
    e = parse_error("postgresql://h:abc/db");
    CHECK(e.message == "port 'abc' is not a number");
    e = parse_error("postgresql://h:70000/db");
    CHECK(e.message == "port 70000 out of range (1-65535)");
}

TEST_CASE("config: key=value errors name the parameter and the value") {
    struct expectation {
        std::string_view input;
        config_errc code;
        std::string_view message;
    };
    const expectation cases[] = {
        {"host", config_errc::invalid_syntax, "missing '=' after 'host' in the connection string"},
        {"=x", config_errc::invalid_syntax,
         "missing parameter name before '=' in the connection string"},
        {"dbname='shop", config_errc::invalid_syntax,
         "unterminated quoted value of 'dbname' in the connection string"},
        {"colour=blue", config_errc::unknown_parameter, "unknown connection parameter 'colour'"},
        {"service=prod", config_errc::unsupported_parameter,
         "the service parameter is not supported: pgasio reads no service file; put the settings "
         "in the connection string"},
        {"port=abc", config_errc::invalid_value, "port 'abc' is not a number"},
        {"port=70000", config_errc::invalid_value, "port 70000 out of range (1-65535)"},
        {"port=0", config_errc::invalid_value, "port 0 out of range (1-65535)"},
        {"port=-1", config_errc::invalid_value, "port '-1' is not a number"},
        {"sslmode=strict", config_errc::invalid_value,
         "invalid sslmode value 'strict' (expected disable, allow, prefer, require, verify-ca or "
         "verify-full)"},
        {"sslnegotiation=fast", config_errc::invalid_value,
         "invalid sslnegotiation value 'fast' (expected postgres or direct)"},
        {"channel_binding=maybe", config_errc::invalid_value,
         "invalid channel_binding value 'maybe' (expected disable, prefer or require)"},
        {"target_session_attrs=writable", config_errc::invalid_value,
         "invalid target_session_attrs value 'writable' (expected any, read-write, read-only, "
         "primary, standby or prefer-standby)"},
        {"load_balance_hosts=roundrobin", config_errc::invalid_value,
         "invalid load_balance_hosts value 'roundrobin' (expected disable or random)"},
        {"max_protocol_version=3.1", config_errc::invalid_value,
         "invalid max_protocol_version value '3.1' (expected 3.0, 3.2 or latest)"},
        {"connect_timeout=ten", config_errc::invalid_value,
         "invalid connect_timeout value 'ten' (expected an integer)"},
        {"connect_timeout=99999999999", config_errc::invalid_value,
         "invalid connect_timeout value '99999999999' (expected an integer)"},
        {"keepalives_idle=-1", config_errc::invalid_value,
         "invalid keepalives_idle value '-1' (expected an integer, 0 or more)"},
        {"keepalives=yes", config_errc::invalid_value,
         "invalid keepalives value 'yes' (expected an integer)"},
        {"statement_timeout=5 weeks", config_errc::invalid_syntax,
         "missing '=' after 'weeks' in the connection string"},
        {"statement_timeout='5 weeks'", config_errc::invalid_value,
         "invalid statement_timeout value '5 weeks' (expected milliseconds, or an integer "
         "followed by ms, s, min, h or d, at most 2147483647 ms)"},
        {"statement_timeout=30d", config_errc::invalid_value,
         "invalid statement_timeout value '30d' (expected milliseconds, or an integer followed "
         "by ms, s, min, h or d, at most 2147483647 ms)"},
        {"max_message_size=100", config_errc::invalid_value,
         "invalid max_message_size value '100' (expected bytes, or an integer followed by kB, "
         "MB or GB, from 8 kB to 2147483647 bytes)"},
        {"max_message_size=2GB", config_errc::invalid_value,
         "invalid max_message_size value '2GB' (expected bytes, or an integer followed by kB, "
         "MB or GB, from 8 kB to 2147483647 bytes)"},
        {"client_encoding=LATIN1", config_errc::unsupported_parameter,
         "client_encoding 'LATIN1' is not supported: pgasio always uses UTF8"},
        {"gssencmode=require", config_errc::unsupported_parameter,
         "gssencmode=require is not supported: pgasio has no GSSAPI encryption"},
        {"gssencmode=sometimes", config_errc::invalid_value,
         "invalid gssencmode value 'sometimes' (expected disable, prefer or require)"},
        {"hostaddr=db.example.com", config_errc::invalid_value,
         "hostaddr 'db.example.com' is not a numeric IP address"},
        {"sslnegotiation=direct", config_errc::conflicting_settings,
         "weak sslmode 'prefer' may not be used with sslnegotiation=direct (use require, "
         "verify-ca or verify-full)"},
        {"sslnegotiation=direct sslmode=allow", config_errc::conflicting_settings,
         "weak sslmode 'allow' may not be used with sslnegotiation=direct (use require, "
         "verify-ca or verify-full)"},
        {"sslrootcert=system sslmode=verify-ca", config_errc::conflicting_settings,
         "weak sslmode 'verify-ca' may not be used with sslrootcert=system (use verify-full)"},
        {"channel_binding=require sslmode=disable", config_errc::conflicting_settings,
         "channel_binding=require needs TLS, which sslmode=disable forbids"},
    };
    for (const auto& c : cases) {
        INFO(c.input);
        auto e = parse_error(c.input);
        CHECK(e.code == c.code);
        CHECK(e.message == c.message);
    }
    // A NUL byte would cut the value short in the startup message.
    auto e = parse_error(std::string_view("application_name=a\0b", 20));
    CHECK(e.message == "application_name value contains a NUL byte");
}

TEST_CASE("config: the environment fills what the string leaves out") {
    auto env = test_env({{"PGHOST", "envhost1,envhost2"},
                         {"PGPORT", "6001"},
                         {"PGUSER", "envuser"},
                         {"PGDATABASE", "envdb"},
                         {"PGPASSWORD", "envpw"},
                         {"PGAPPNAME", "envapp"},
                         {"PGOPTIONS", "-c x=y"},
                         {"PGSSLMODE", "verify-ca"},
                         {"PGSSLROOTCERT", "/etc/ca.crt"},
                         {"PGSSLCERT", "/etc/c.crt"},
                         {"PGSSLKEY", "/etc/c.key"},
                         {"PGCHANNELBINDING", "require"},
                         {"PGREQUIREAUTH", "scram-sha-256"},
                         {"PGCONNECT_TIMEOUT", "7"},
                         {"PGTARGETSESSIONATTRS", "primary"},
                         {"PGLOADBALANCEHOSTS", "random"},
                         {"PGPASSFILE", "/etc/pgpass"},
                         {"PGCLIENTENCODING", "UTF8"},
                         {"PGSERVICE", "ignored"}});
    SECTION("environment over defaults") {
        auto cfg = parse_ok("", env);
        CHECK(cfg.hosts ==
              std::vector{host_spec{"envhost1", "", 6001}, host_spec{"envhost2", "", 6001}});
        CHECK(cfg.user == "envuser");
        CHECK(cfg.dbname == "envdb");
        CHECK(cfg.password.reveal() == "envpw");
        CHECK(cfg.application_name == "envapp");
        CHECK(cfg.options == "-c x=y");
        CHECK(cfg.sslmode == pgasio::ssl_mode::verify_ca);
        CHECK(cfg.sslrootcert == "/etc/ca.crt");
        CHECK(cfg.sslcert == "/etc/c.crt");
        CHECK(cfg.sslkey == "/etc/c.key");
        CHECK(cfg.channel_binding == pgasio::channel_binding_mode::require);
        CHECK_FALSE(cfg.require_auth.contains(pgasio::auth_method::md5));
        CHECK(cfg.connect_timeout == 7s);
        CHECK(cfg.target_session_attrs == pgasio::session_attrs::primary);
        CHECK(cfg.load_balance_hosts == pgasio::load_balance_mode::random);
        CHECK(cfg.passfile == "/etc/pgpass");
    }
    SECTION("the string over the environment, parameter by parameter") {
        auto cfg =
            parse_ok("host=strhost user=struser sslmode=disable channel_binding=prefer", env);
        CHECK(cfg.hosts == std::vector{host_spec{"strhost", "", 6001}});
        CHECK(cfg.user == "struser");
        CHECK(cfg.dbname == "envdb");
        CHECK(cfg.sslmode == pgasio::ssl_mode::disable);
        auto uri = parse_ok("postgresql://urihost:1234/uridb", env);
        CHECK(uri.hosts == std::vector{host_spec{"urihost", "", 1234}});
        CHECK(uri.dbname == "uridb");
        CHECK(uri.user == "envuser");
    }
    SECTION("a bad environment value is reported with its variable") {
        auto e = parse_error("", test_env({{"PGSSLMODE", "bogus"}}));
        CHECK(e.message.find("invalid sslmode value 'bogus' (from PGSSLMODE)") == 0);
        e = parse_error("", test_env({{"PGPORT", "x1"}}));
        CHECK(e.message == "port 'x1' is not a number (from PGPORT)");
        e = parse_error("", test_env({{"PGCLIENTENCODING", "SQL_ASCII"}}));
        CHECK(e.message ==
              "client_encoding 'SQL_ASCII' (from PGCLIENTENCODING) is not supported: pgasio "
              "always uses UTF8");
    }
    SECTION("the string's value hides a bad environment value") {
        CHECK(parse_ok("sslmode=require", test_env({{"PGSSLMODE", "bogus"}})).sslmode ==
              pgasio::ssl_mode::require);
    }
    SECTION("HOME decides the default files") {
        auto cfg = parse_ok("", pgasio::map_environment({{"HOME", "/srv/app"}}));
        CHECK(cfg.passfile == "/srv/app/.pgpass");
        CHECK(cfg.sslrootcert == "/srv/app/.postgresql/root.crt");
    }
}

TEST_CASE("config: the process environment is used by default") {
    // Only checks that parse() without an environment reads the process's: PGAPPNAME is set
    // for this one call and restored afterwards.
    const char* old = std::getenv("PGAPPNAME");
    std::string saved = old ? old : "";
    setenv("PGAPPNAME", "from-process-env", 1);
    auto cfg = config::parse("");
    auto from_env = config::from_environment();
    if (old)
        setenv("PGAPPNAME", saved.c_str(), 1);
    else
        unsetenv("PGAPPNAME");
    REQUIRE(cfg);
    CHECK(cfg->application_name == "from-process-env");
    REQUIRE(from_env);
    CHECK(from_env->application_name == "from-process-env");
}

TEST_CASE("config: builder") {
    SECTION("settings win over the string; pool settings land in pool") {
        auto cfg = config::builder("postgresql://app@db1/shop?application_name=old")
                       .env(test_env())
                       .pool_size(2, 50)
                       .query_timeout(10s)
                       .acquire_timeout(5s)
                       .idle_timeout(1min)
                       .max_lifetime(2h)
                       .health_check_interval(15s)
                       .check_idle_after(250ms)
                       .max_connecting(3)
                       .leak_threshold(1min)
                       .reset_query("DISCARD ALL")
                       .pool_name("orders")
                       .thread_safe(true)
                       .application_name("new")
                       .sslmode(pgasio::ssl_mode::require)
                       .connect_timeout(1s)
                       .statement_timeout(2500ms)
                       .password(pgasio::secret_string("pw"))
                       .set("target_session_attrs", "read-write")
                       .build();
        REQUIRE(cfg);
        CHECK(cfg->hosts == std::vector{host_spec{"db1", "", 5432}});
        CHECK(cfg->user == "app");
        CHECK(cfg->dbname == "shop");
        CHECK(cfg->application_name == "new");
        CHECK(cfg->sslmode == pgasio::ssl_mode::require);
        CHECK(cfg->connect_timeout == 2s);
        CHECK(cfg->statement_timeout == 2500ms);
        CHECK(cfg->password.reveal() == "pw");
        CHECK(cfg->target_session_attrs == pgasio::session_attrs::read_write);
        CHECK(cfg->pool == pgasio::pool_options{2, 50, 10s, 5s, 1min, 2h, 15s, 250ms, 3, 1min,
                                                "DISCARD ALL", "orders", true, nullptr});
        // The password as plain text too.
        auto plain = config::builder("postgresql://app@db1/shop").env(test_env()).password("pw2");
        CHECK(plain.build()->password.reveal() == "pw2");
    }
    SECTION("user and dbname, with dbname defaulting to the user given") {
        auto cfg = config::builder().env(test_env()).user("u1").build();
        REQUIRE(cfg);
        CHECK(cfg->user == "u1");
        CHECK(cfg->dbname == "u1");
        CHECK(config::builder().env(test_env()).dbname("d").build()->dbname == "d");
    }
    SECTION("the same errors as parse and validate") {
        auto e = config::builder("host=h").env(test_env()).pool_size(10, 5).build();
        REQUIRE_FALSE(e);
        CHECK(e.error().code == config_errc::conflicting_settings);
        CHECK(e.error().message == "min_connections 10 > max_connections 5");
        e = config::builder().env(test_env()).pool_size(0, 0).build();
        CHECK(e.error().message == "max_connections must be at least 1");
        e = config::builder().env(test_env()).query_timeout(-1ms).build();
        CHECK(e.error().message == "query_timeout is negative");
        e = config::builder().env(test_env()).set("sslmode", "strict").build();
        CHECK(e.error().message.find("invalid sslmode value 'strict'") == 0);
        e = config::builder().env(test_env()).set("colour", "blue").build();
        CHECK(e.error().code == config_errc::unknown_parameter);
        e = config::builder("port=x").env(test_env()).build();
        CHECK(e.error().message == "port 'x' is not a number");
        e = config::builder().env(test_env()).statement_timeout(-1ms).build();
        CHECK(e.error().code == config_errc::invalid_value);
    }
    SECTION("value() throws config_exception with the message") {
        auto r = config::builder().env(test_env()).pool_size(3, 1).build();
        try {
            (void)r.value();
            FAIL("no exception");
        } catch (const pgasio::config_exception& ex) {
            CHECK(std::string(ex.what()) == "min_connections 3 > max_connections 1");
            CHECK(ex.code() == config_errc::conflicting_settings);
        }
    }
}

TEST_CASE("config: validate catches hand-made mistakes") {
    auto cfg = parse_ok("host=h");
    auto check = [](const config& c, std::string_view message) {
        auto r = c.validate();
        REQUIRE_FALSE(r);
        CHECK(r.error().message == message);
    };
    auto c = cfg;
    c.user.clear();
    check(c, "no user name given");
    c = cfg;
    c.dbname.clear();
    check(c, "no database name given");
    CHECK_FALSE(config{}.validate());
    c = cfg;
    c.hosts.clear();
    check(c, "no host given");
    c = cfg;
    c.hosts[0].host.clear();
    check(c, "a host entry has neither host nor hostaddr");
    c = cfg;
    c.hosts[0].port = 0;
    check(c, "port 0 out of range (1-65535)");
    c = cfg;
    c.require_auth = pgasio::auth_method_set::none_allowed();
    check(c, "require_auth allows no authentication method");
    c = cfg;
    c.max_message_size = 100;
    check(c, "max_message_size 100 out of range (8192 to 2147483647)");
    c = cfg;
    c.connect_timeout = -1s;
    check(c, "connect_timeout is negative");
    c = cfg;
    c.keepalives_count = -1;
    check(c, "keepalives_idle, keepalives_interval and keepalives_count must not be negative");
    c = cfg;
    c.pool.idle_timeout = -1s;
    check(c, "idle_timeout is negative");
    c = cfg;
    c.pool.check_idle_after = -1ms;
    check(c, "check_idle_after is negative");
    // Past what the clock's nanoseconds hold once added to a time point: refused, not wrapped.
    c = cfg;
    c.pool.acquire_timeout = std::chrono::milliseconds::max();
    check(c, "acquire_timeout is longer than 100 years, the longest pgasio takes");
    c = cfg;
    c.pool.max_lifetime = std::chrono::hours(24 * 365 * 101);
    check(c, "max_lifetime is longer than 100 years, the longest pgasio takes");
    c = cfg;
    c.connect_timeout = std::chrono::seconds::max();
    check(c, "connect_timeout is longer than 100 years, the longest pgasio takes");
    c = cfg;
    c.pool.leak_threshold = std::chrono::hours(24 * 365 * 100);
    CHECK(c.validate());
}

TEST_CASE("config: error category") {
    boost::system::error_code ec = config_errc::list_length_mismatch;
    CHECK(std::string(ec.category().name()) == "pgasio.config");
    CHECK(ec.message() == "host, hostaddr and port lists do not match in length");
    CHECK(boost::system::error_code(99, pgasio::config_category()).message() ==
          "unknown pgasio.config error");
    std::ostringstream os;
    os << pgasio::config_error{ec, "text"};
    CHECK(os.str() == "text");
}

TEST_CASE("config: the statement cache's capacity and the query execution mode") {
    const auto defaults = parse_ok("");
    CHECK(defaults.statement_cache_capacity == 512);
    CHECK(defaults.default_query_exec_mode == pgasio::query_exec_mode::cache_statement);
    CHECK(parse_ok("statement_cache_capacity=0").statement_cache_capacity == 0);
    for (const auto mode :
         {pgasio::query_exec_mode::cache_statement, pgasio::query_exec_mode::cache_describe,
          pgasio::query_exec_mode::describe_exec, pgasio::query_exec_mode::simple_protocol}) {
        const auto cfg = parse_ok("default_query_exec_mode=" + std::string(to_string(mode)));
        CHECK(cfg.default_query_exec_mode == mode);
    }
    auto bad = parse_error("default_query_exec_mode=prepared");
    CHECK_THAT(bad.message, Catch::Contains("default_query_exec_mode"));
    CHECK_THAT(bad.message, Catch::Contains("prepared"));
    bad = parse_error("statement_cache_capacity=-1");
    CHECK_THAT(bad.message, Catch::Contains("statement_cache_capacity"));
    auto built = config::builder()
                     .env(test_env())
                     .statement_cache_capacity(7)
                     .default_query_exec_mode(pgasio::query_exec_mode::simple_protocol)
                     .build();
    REQUIRE(built);
    CHECK(built->statement_cache_capacity == 7);
    CHECK(built->default_query_exec_mode == pgasio::query_exec_mode::simple_protocol);
}

TEST_CASE("config: the pause of a deep pipeline's reads") {
    const auto defaults = parse_ok("");
    CHECK(defaults.pipeline_read_pause == std::chrono::microseconds(500));
    CHECK(defaults.pipeline_read_pause_depth == 512);
    CHECK(parse_ok("pipeline_read_pause=0").pipeline_read_pause.count() == 0);
    CHECK(parse_ok("pipeline_read_pause=250").pipeline_read_pause ==
          std::chrono::microseconds(250));
    CHECK(parse_ok("pipeline_read_pause=3ms").pipeline_read_pause ==
          std::chrono::microseconds(3000));
    CHECK(parse_ok("pipeline_read_pause=1s").pipeline_read_pause ==
          std::chrono::microseconds(1'000'000));
    CHECK(parse_ok("pipeline_read_pause_depth=1").pipeline_read_pause_depth == 1);
    for (const char* bad_pause : {"2s", "1001ms", "5min", "-1", "fast"}) {
        const auto bad = parse_error(std::string("pipeline_read_pause=") + bad_pause);
        CHECK_THAT(bad.message, Catch::Contains("pipeline_read_pause"));
        CHECK_THAT(bad.message, Catch::Contains("at most 1 s"));
    }
    for (const char* bad_depth : {"0", "-3", "many"}) {
        const auto bad = parse_error(std::string("pipeline_read_pause_depth=") + bad_depth);
        CHECK_THAT(bad.message, Catch::Contains("pipeline_read_pause_depth"));
        CHECK_THAT(bad.message, Catch::Contains(bad_depth));
        CHECK_THAT(bad.message, Catch::Contains("at least 1"));
    }
    auto built = config::builder()
                     .env(test_env())
                     .pipeline_read_pause(std::chrono::microseconds(1500))
                     .pipeline_read_pause_depth(100)
                     .build();
    REQUIRE(built);
    CHECK(built->pipeline_read_pause == std::chrono::microseconds(1500));
    CHECK(built->pipeline_read_pause_depth == 100);
    // Each setter sets its own key only: the depth from the connection string stays.
    built = config::builder("pipeline_read_pause_depth=9")
                .env(test_env())
                .pipeline_read_pause({})
                .build();
    REQUIRE(built);
    CHECK(built->pipeline_read_pause.count() == 0);
    CHECK(built->pipeline_read_pause_depth == 9);
    CHECK(!config::builder().env(test_env()).pipeline_read_pause(std::chrono::seconds(2)).build());
    CHECK(!config::builder().env(test_env()).pipeline_read_pause_depth(0).build());
}

TEST_CASE("config: to_string round-trips and formatting shows every setting") {
    auto cfg = parse_ok("host='a,/my sock' hostaddr=10.0.0.1, port=1,2 user=u dbname='d b' "
                        "options='-c a=\\'x\\'' application_name=app fallback_application_name=fb "
                        "connect_timeout=9 sslmode=verify-full sslnegotiation=direct "
                        "sslrootcert=/r sslcert=/c sslkey=/k sslsni=0 channel_binding=require "
                        "require_auth=!md5 target_session_attrs=standby load_balance_hosts=random "
                        "keepalives=0 keepalives_idle=1 keepalives_interval=2 keepalives_count=3 "
                        "statement_timeout=90s max_message_size=1MB max_protocol_version=3.2 "
                        "passfile=/p statement_cache_capacity=64 "
                        "default_query_exec_mode=cache_describe pipeline_read_pause=2000us "
                        "pipeline_read_pause_depth=64");
    std::string s = cfg.to_string();
    CHECK(s == "host='a,/my sock' hostaddr=10.0.0.1, port=1,2 user=u dbname='d b' passfile=/p "
               "options='-c a=\\'x\\'' application_name=app fallback_application_name=fb "
               "connect_timeout=9 sslmode=verify-full sslnegotiation=direct sslrootcert=/r "
               "sslcert=/c sslkey=/k sslsni=0 channel_binding=require "
               "require_auth=none,password,scram-sha-256,gss,sspi target_session_attrs=standby "
               "load_balance_hosts=random keepalives=0 keepalives_idle=1 keepalives_interval=2 "
               "keepalives_count=3 statement_timeout=90s max_message_size=1048576 "
               "max_protocol_version=3.2 statement_cache_capacity=64 "
               "default_query_exec_mode=cache_describe pipeline_read_pause=2ms "
               "pipeline_read_pause_depth=64");
    CHECK(parse_ok(s) == cfg);
    auto defaults = parse_ok("");
    CHECK(parse_ok(defaults.to_string()) == defaults);

    auto formatted = fmt::format("{}", cfg);
    CHECK(formatted == s + " (pool: min_connections=5 max_connections=20 query_timeout=30s "
                           "acquire_timeout=30s idle_timeout=30min max_lifetime=1h "
                           "health_check_interval=1min check_idle_after=1s max_connecting=2 "
                           "leak_threshold=0 reset_query='' name='' thread_safe=false)");
    std::ostringstream os;
    os << cfg;
    CHECK(os.str() == formatted);
    CHECK(fmt::format("{}", pgasio::pool_options{1, 2, 1500ms, 0ms, 1s, 1min, 1h, 0ms, 3, 2min,
                                                 "DISCARD ALL", "api", true, nullptr}) ==
          "min_connections=1 max_connections=2 query_timeout=1500ms acquire_timeout=0 "
          "idle_timeout=1s max_lifetime=1min health_check_interval=1h check_idle_after=0 "
          "max_connecting=3 leak_threshold=2min reset_query='DISCARD ALL' name='api' "
          "thread_safe=true");
}

TEST_CASE("config: replicas") {
    auto builder = [] {
        return config::builder("postgresql://app:pw@primary/shop").env(test_env());
    };
    SECTION("none by default, and none from a connection string") {
        CHECK(parse_ok("host=a,b").replicas.empty());
        CHECK(builder().build()->replicas.empty());
    }
    SECTION("URIs and host lists, every host of each, in order") {
        auto cfg = builder()
                       .add_replica("postgresql://replica1:5433/shop")
                       .add_replica("POSTGRES://app:pw@r2,r3:6000/shop")
                       .add_replica("r4")
                       .add_replica("[::1]:5434,r5:1")
                       .build();
        REQUIRE(cfg);
        CHECK(cfg->hosts == std::vector{host_spec{"primary", "", 5432}});
        CHECK(cfg->replicas == std::vector{host_spec{"replica1", "", 5433},
                                           host_spec{"r2", "", 5432}, host_spec{"r3", "", 6000},
                                           host_spec{"r4", "", 5432}, host_spec{"::1", "", 5434},
                                           host_spec{"r5", "", 1}});
    }
    SECTION("the environment's host and port do not apply to replicas") {
        auto cfg = config::builder("postgresql://app@primary/shop")
                       .env(test_env({{"PGHOST", "elsewhere"}, {"PGPORT", "7777"}}))
                       .add_replica("r1")
                       .build();
        REQUIRE(cfg);
        CHECK(cfg->hosts == std::vector{host_spec{"primary", "", 7777}});
        CHECK(cfg->replicas == std::vector{host_spec{"r1", "", 5432}});
    }
    SECTION("the primary's user and dbname, given or defaulted, may be repeated") {
        auto cfg = config::builder("host=p user=app")
                       .env(test_env())
                       .add_replica("postgresql://app@r1/app")
                       .build();
        REQUIRE(cfg);
        CHECK(cfg->replicas == std::vector{host_spec{"r1", "", 5432}});
    }
    SECTION("another user, dbname or password fails at build()") {
        auto e = builder().add_replica("postgresql://other@r1/shop").build();
        REQUIRE_FALSE(e);
        CHECK(e.error().code == config_errc::conflicting_settings);
        CHECK(e.error().message == "a replica URI names user 'other', the primary's is 'app' "
                                   "(every member of a cluster is logged in to as the same user)");
        e = builder().add_replica("postgresql://r1/stock").build();
        REQUIRE_FALSE(e);
        CHECK(e.error().code == config_errc::conflicting_settings);
        CHECK(e.error().message.starts_with("a replica URI names database 'stock', the primary's "
                                            "is 'shop'"));
        e = builder().add_replica("postgresql://app:secret@r1/shop").build();
        REQUIRE_FALSE(e);
        CHECK(e.error().code == config_errc::conflicting_settings);
        CHECK(e.error().message.find("secret") == std::string::npos);
    }
    SECTION("settings other than hosts, user, dbname and password fail") {
        auto e = builder().add_replica("postgresql://r1/shop?sslmode=disable").build();
        REQUIRE_FALSE(e);
        CHECK(e.error().code == config_errc::conflicting_settings);
        CHECK(e.error().message == "a replica URI sets sslmode: replicas take every setting but "
                                   "their hosts from the primary's configuration");
    }
    SECTION("texts that are not replicas") {
        for (std::string text : {"", "host=r1", "r1/shop", "postgresql:///shop"}) {
            auto e = builder().add_replica(text).build();
            INFO(text);
            REQUIRE_FALSE(e);
            CHECK(e.error().code == config_errc::invalid_value);
        }
        auto e = builder().add_replica("r1:x").build();
        REQUIRE_FALSE(e);
        CHECK(e.error().message.find("is not a number") != std::string::npos);
        e = builder().add_replica("postgresql://r1%zz/shop").build();
        REQUIRE_FALSE(e);
        CHECK(e.error().code == config_errc::invalid_percent_encoding);
    }
    SECTION("a replica that is also a host fails") {
        auto e = builder().add_replica("primary:5432").build();
        REQUIRE_FALSE(e);
        CHECK(e.error().code == config_errc::conflicting_settings);
        CHECK(e.error().message == "replica primary:5432 is also one of the hosts");
        config cfg = *builder().build();
        cfg.replicas.push_back(host_spec{"r1", "", 0});
        CHECK(cfg.validate().error().message == "port 0 out of range (1-65535)");
    }
    SECTION("fmt and operator<< show them, to_string leaves them out") {
        auto cfg = builder().add_replica("r1:5433,[::1]").build();
        REQUIRE(cfg);
        auto formatted = fmt::format("{}", *cfg);
        CHECK(formatted.find(" (replicas: r1:5433, [::1]:5432) (pool: ") != std::string::npos);
        CHECK(cfg->to_string().find("r1") == std::string::npos);
        std::ostringstream os;
        os << *cfg;
        CHECK(os.str() == formatted);
    }
}

TEST_CASE("config: hosts as text") {
    CHECK(pgasio::to_string(host_spec{"db1", "", 5432}) == "db1:5432");
    CHECK(pgasio::to_string(host_spec{"", "::1", 5433}) == "[::1]:5433");
    CHECK(pgasio::to_string(host_spec{"db1", "10.0.0.1", 1}) == "db1:1 (10.0.0.1)");
    CHECK(pgasio::to_string(host_spec{"/tmp", "", 5432}) == "/tmp/.s.PGSQL.5432");
}
