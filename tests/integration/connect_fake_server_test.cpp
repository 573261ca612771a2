// Connecting to a scripted fake server, for what a real PostgreSQL never does: malformed or
// hostile replies. Each case must fail with a clear error, never hang or crash.
#include <pgasio/connection.hpp>

#include "support/bytes.hpp"
#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::literals;
using pgasio::client_errc;

namespace {

using pgasio::test::framed;

std::string auth(std::string_view code_and_data) {
    return framed('R', code_and_data);
}

// Answers each client message with the next scripted reply; an empty reply closes. In a reply,
// "{client-nonce}" stands for the r= value of the client's last message (SCRAM client-first).
struct fake_server {
    asio::ip::tcp::acceptor acceptor;
    std::vector<std::string> replies;

    explicit fake_server(asio::any_io_executor ex, std::vector<std::string> r)
        : acceptor(ex, {asio::ip::make_address("127.0.0.1"), 0})
        , replies(std::move(r)) {}

    std::uint16_t port() const { return acceptor.local_endpoint().port(); }

    asio::awaitable<void> serve() {
        auto sock = co_await acceptor.async_accept(asio::use_awaitable);
        bool untyped = true; // SSLRequest and StartupMessage have no type byte
        for (const auto& reply : replies) {
            std::string header(untyped ? 4 : 5, '\0');
            co_await asio::async_read(sock, asio::buffer(header), asio::use_awaitable);
            const auto* p =
                reinterpret_cast<const unsigned char*>(header.data()) + (untyped ? 0 : 1);
            const std::size_t len = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                                    (std::size_t{p[2]} << 8) | p[3];
            std::string body(len - 4, '\0');
            co_await asio::async_read(sock, asio::buffer(body), asio::use_awaitable);
            // Still untyped after an SSLRequest (code 80877103): the StartupMessage follows.
            untyped = untyped && body.size() == 4 && body == "\x04\xd2\x16\x2f"s;
            if (reply.empty()) break;
            std::string out = reply;
            if (const auto at = out.find("{client-nonce}"); at != std::string::npos) {
                const auto r = body.find("r=");
                REQUIRE(r != std::string::npos);
                out.replace(at, 14, body.substr(r + 2));
                // The reply's message length must count the substituted nonce.
                const auto out_len = static_cast<std::uint32_t>(out.size() - 1);
                for (int i = 0; i < 4; ++i)
                    out[static_cast<std::size_t>(1 + i)] =
                        static_cast<char>(out_len >> (24 - 8 * i));
            }
            co_await asio::async_write(sock, asio::buffer(out), asio::use_awaitable);
        }
        sock.close();
    }
};

struct outcome {
    pgasio::error_code ec;
    pgasio::diagnostics diag;
};

outcome connect_to(std::vector<std::string> replies, const std::string& extra = "sslmode=disable") {
    return pgasio::test::run([&](asio::any_io_executor ex) -> asio::awaitable<outcome> {
        fake_server server(ex, replies);
        asio::co_spawn(ex, server.serve(), asio::detached);
        auto cfg = pgasio::config::parse(
            "host=127.0.0.1 port=" + std::to_string(server.port()) +
                " user=alice dbname=db password=secret connect_timeout=10 " + extra,
            [](std::string_view) -> std::optional<std::string> { return std::nullopt; });
        REQUIRE(cfg.has_value());
        pgasio::connection conn(ex);
        outcome out;
        std::tie(out.ec) =
            co_await conn.async_connect(*cfg, out.diag, asio::as_tuple(asio::deferred));
        CHECK(conn.is_open() == !out.ec); // a failed connection leaves nothing open
        co_return out;
    });
}

const std::string ready = framed('Z', "I");
const std::string auth_ok = auth("\0\0\0\0"sv);

} // namespace

TEST_CASE("fake server: a reply to SSLRequest other than S or N") {
    const auto o = connect_to({"X"}, "sslmode=require");
    CHECK(o.ec == client_errc::invalid_ssl_response);
    // The byte is shown, as libpq shows it ('H': an HTTP server on the port).
    CHECK(o.diag.message == "it sent 'X' (0x58); is that a PostgreSQL server?");
    CHECK(connect_to({"\x01"}, "sslmode=require").diag.message ==
          "it sent 0x01; is that a PostgreSQL server?");
}

TEST_CASE("fake server: plaintext after 'S' is refused (CVE-2021-23222)") {
    const auto o = connect_to({"S" + auth_ok}, "sslmode=require");
    CHECK(o.ec == client_errc::tls_plaintext_injection);
}

TEST_CASE("fake server: 'N' with sslmode=require and with prefer") {
    CHECK(connect_to({"N"}, "sslmode=require").ec == client_errc::tls_not_supported_by_server);
    // prefer carries on in clear text.
    CHECK(!connect_to({"N", auth_ok + ready}, "sslmode=prefer").ec);
}

TEST_CASE("fake server: an unsupported authentication method is named") {
    const auto o = connect_to({auth("\0\0\0\x07"sv)});
    CHECK(o.ec == client_errc::unsupported_authentication);
    CHECK_THAT(o.diag.message, Catch::Contains("GSSAPI"));
}

TEST_CASE("fake server: an authentication request type the protocol lacks is named") {
    const auto o = connect_to({auth("\0\0\0\x63"sv)});
    CHECK(o.ec == client_errc::unsupported_authentication);
    CHECK_THAT(o.diag.message, Catch::Contains("method 99 not supported"));
    CHECK_THAT(pgasio::format_error(o.ec, o.diag), !Catch::Contains("malformed"));
}

TEST_CASE("fake server: a SASL request offering no mechanism says so") {
    const auto o = connect_to({auth("\0\0\0\x0a\0"sv)});
    CHECK(o.ec == client_errc::scram_no_supported_mechanism);
    CHECK_THAT(o.diag.message, Catch::Contains("no SASL mechanism offered"));
}

TEST_CASE("fake server: a server nonce that adds nothing to the client's is named as such") {
    const auto o = connect_to({auth("\0\0\0\x0aSCRAM-SHA-256\0\0"sv),
                               auth("\0\0\0\x0br={client-nonce},s=c2FsdA==,i=4096"sv)});
    CHECK(o.ec == client_errc::scram_nonce_mismatch);
    CHECK_THAT(o.diag.message, Catch::Contains("added no part of its own"));
    CHECK_THAT(pgasio::format_error(o.ec, o.diag), !Catch::Contains("does not start with"));
}

TEST_CASE("fake server: a NUL in the SCRAM server-first-message is named") {
    const auto o = connect_to({auth("\0\0\0\x0aSCRAM-SHA-256\0\0"sv),
                               auth("\0\0\0\x0br={client-nonce}xyz,s=c2FsdA==,i=4096\0"sv)});
    CHECK(o.ec == client_errc::scram_invalid_server_first);
    CHECK_THAT(o.diag.message, Catch::Contains("NUL byte"));
    CHECK_THAT(pgasio::format_error(o.ec, o.diag), !Catch::Contains("iteration"));
}

TEST_CASE("fake server: a notice sent during startup reaches the handler set before connect") {
    const std::string warning =
        framed('N', "SWARNING\0VWARNING\0C01000\0Mthe role's password expires soon\0\0"sv);
    pgasio::test::run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        fake_server server(ex, {auth_ok + warning + ready});
        asio::co_spawn(ex, server.serve(), asio::detached);
        auto cfg = pgasio::config::parse(
            "host=127.0.0.1 sslmode=disable user=alice dbname=db port=" +
                std::to_string(server.port()),
            [](std::string_view) -> std::optional<std::string> { return std::nullopt; });
        REQUIRE(cfg.has_value());
        pgasio::connection conn(ex);
        std::vector<pgasio::diagnostics> notices;
        conn.set_notice_handler([&](const pgasio::diagnostics& d) { notices.push_back(d); });
        co_await conn.async_connect(*cfg);
        REQUIRE(notices.size() == 1);
        CHECK(notices[0].severity == "WARNING");
        CHECK(notices[0].message == "the role's password expires soon");
        co_await conn.async_close();
    });
}

TEST_CASE("fake server: AuthenticationOk in the middle of SCRAM is refused") {
    const auto o = connect_to({auth("\0\0\0\x0aSCRAM-SHA-256\0\0"sv), auth_ok + ready});
    CHECK(o.ec == client_errc::authentication_incomplete);
}

TEST_CASE("fake server: a SCRAM iteration count above the bound is refused before hashing") {
    const auto o = connect_to({auth("\0\0\0\x0aSCRAM-SHA-256\0\0"sv),
                               auth("\0\0\0\x0br={client-nonce}xyz,s=c2FsdA==,i=2000000000"sv)});
    CHECK(o.ec == client_errc::scram_iteration_count_too_high);
}

TEST_CASE("fake server: an unknown message type breaks the stream") {
    CHECK(connect_to({"?garbage"}).ec == client_errc::unknown_message_type);
}

TEST_CASE("fake server: a truncated message body") {
    CHECK(connect_to({auth("\0\0\0\x05\x01\x02"sv)}).ec == client_errc::truncated_message);
}

TEST_CASE("fake server: a message over max_message_size is refused from its header") {
    const auto o = connect_to({"E\x10\0\0\0"s}, "sslmode=disable max_message_size=8kB");
    CHECK(o.ec == client_errc::message_too_large);
    // Its size, the limit, and the setting that raises it.
    CHECK(o.diag.message == "the server sent a message of 268435452 bytes, more than "
                            "max_message_size allows (8192 bytes); a larger max_message_size in "
                            "the connection settings admits it");
}

TEST_CASE("fake server: the server closes in the middle of startup") {
    const auto o = connect_to({auth("\0\0\0\x03"sv), ""});
    CHECK(o.ec == client_errc::connection_closed);
}

TEST_CASE("fake server: an error sent as the server closes is reported as the server said it") {
    const auto o = connect_to(
        {framed('E', "SFATAL\0VFATAL\0C53300\0Msorry, too many clients already\0\0"sv), ""});
    CHECK(o.ec == pgasio::sqlstate::too_many_connections);
    CHECK(o.diag.message == "sorry, too many clients already");
}

TEST_CASE("fake server: ReadyForQuery before authentication") {
    CHECK(connect_to({ready}).ec == client_errc::unexpected_message);
}

namespace {

// Connects (the first reply answers the StartupMessage), then runs "SELECT 1" unnamed
// (describe_exec: nothing of the statement cache): its Parse, Bind, Describe, Execute and Sync
// get the next replies, one each.
outcome query_to(std::vector<std::string> replies) {
    return pgasio::test::run([&](asio::any_io_executor ex) -> asio::awaitable<outcome> {
        fake_server server(ex, replies);
        asio::co_spawn(ex, server.serve(), asio::detached);
        auto cfg = pgasio::config::parse(
            "host=127.0.0.1 port=" + std::to_string(server.port()) +
                " user=alice dbname=db password=secret sslmode=disable"
                " default_query_exec_mode=describe_exec",
            [](std::string_view) -> std::optional<std::string> { return std::nullopt; });
        REQUIRE(cfg.has_value());
        pgasio::connection conn(ex);
        co_await conn.async_connect(*cfg);
        outcome out;
        pgasio::result r;
        std::tie(out.ec, r) = co_await conn.async_query(
            "SELECT 1", pgasio::diagnostics_into(out.diag, asio::as_tuple(asio::deferred)));
        CHECK(!conn.is_open()); // a stream that cannot be trusted is closed
        co_return out;
    });
}

const std::string parse_complete = framed('1', "");
const std::string bind_complete = framed('2', "");
const std::string no_data = framed('n', "");

} // namespace

TEST_CASE("fake server: an answer the query did not ask for breaks the stream") {
    // A CloseComplete where the Execute's completion belongs.
    auto o =
        query_to({auth_ok + ready, parse_complete, bind_complete, no_data, framed('3', ""), ready});
    CHECK(o.ec == client_errc::unexpected_message);
    CHECK_THAT(o.diag.message, Catch::Contains("unexpected message '3'"));
    // A row after the statement's completion.
    o = query_to({auth_ok + ready, parse_complete, bind_complete, no_data,
                  framed('C', "SELECT 0\0"sv) + framed('D', "\0\0"sv), ready});
    CHECK(o.ec == client_errc::unexpected_message);
}

TEST_CASE("fake server: a FATAL 08P01 that ends the session is reported as the connection lost") {
    // The server sends 08P01 as an ERROR after which the session goes on (is_fatal is false for
    // it), and as FATAL when it closes: then the caller must learn that the connection is gone.
    const auto o = query_to(
        {auth_ok + ready,
         framed('E', "SFATAL\0VFATAL\0C08P01\0Minvalid frontend message type 0\0\0"sv), ""});
    CHECK(o.ec == client_errc::connection_closed);
    CHECK(pgasio::is_fatal(o.ec));
    CHECK(o.diag.sqlstate == "08P01");
    CHECK(o.diag.message == "invalid frontend message type 0");
}
