#include <pgasio/wal_lsn.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <sstream>

using pgasio::wal_lsn;

TEST_CASE("wal_lsn: the server's text form") {
    CHECK(wal_lsn::parse("16/B374D848") == wal_lsn(0x16'B374D848));
    CHECK(wal_lsn::parse("0/0") == wal_lsn());
    CHECK(wal_lsn::parse("ffffffff/ffffffff") == wal_lsn(~std::uint64_t{0}));
    CHECK(wal_lsn::parse("0/0100A3B8") == wal_lsn(0x0100A3B8)); // PostgreSQL 18's zero padding
    CHECK(wal_lsn(0x16'B374D848).to_string() == "16/B374D848");
    CHECK(wal_lsn(0x0100A3B8).to_string() == "0/100A3B8");
    CHECK(wal_lsn().to_string() == "0/0");
    for (std::string text : {"", "/", "16/", "/1", "16B374D848", "1/2/3", "123456789/0",
                             "0/123456789", "-1/0", "0/+1", " 0/0", "0/0 ", "g/0", "0x1/0"}) {
        INFO(text);
        CHECK_FALSE(wal_lsn::parse(text));
    }
}

TEST_CASE("wal_lsn: order and distance") {
    const wal_lsn a(0x1'00000000), b(0x1'00000010);
    CHECK(a < b);
    CHECK(b > a);
    CHECK(a == wal_lsn::parse("1/0"));
    CHECK(b - a == 16);
    CHECK(a - b == -16);
    CHECK(wal_lsn::parse("1/0") > wal_lsn::parse("0/FFFFFFFF"));
}

TEST_CASE("wal_lsn: fmt and operator<<") {
    CHECK(fmt::format("{}", wal_lsn(0x2A'0000000F)) == "2A/F");
    CHECK(fmt::format("[{:>8}]", wal_lsn(0x10)) == "[    0/10]");
    std::ostringstream os;
    os << wal_lsn(0x10);
    CHECK(os.str() == "0/10");
}
