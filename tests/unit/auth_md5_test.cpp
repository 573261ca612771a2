#include <pgasio/protocol/auth/md5_password.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cstddef>

using pgasio::protocol::md5_password_response;

// Expected values computed independently with Python's hashlib:
//   "md5" + md5(md5(password + user).hexdigest().encode() + salt).hexdigest()
TEST_CASE("md5 password response follows PostgreSQL's formula") {
    const std::array<std::byte, 4> salt{std::byte{0x01}, std::byte{0x02}, std::byte{0x03},
                                        std::byte{0x04}};
    const auto r = md5_password_response("postgres", "secret", salt);
    REQUIRE(r);
    CHECK(*r == "md5bb41a296aab6baccb36ff243a562abff");
}

TEST_CASE("md5 password response uses the password bytes as given and every salt bit") {
    const std::array<std::byte, 4> salt{std::byte{0xff}, std::byte{0x00}, std::byte{0x7f},
                                        std::byte{0x80}};
    const auto r = md5_password_response("alice", "p\xc3\xa4ssw\xc3\xb6rd", salt);
    REQUIRE(r);
    CHECK(*r == "md54d603b30d2c98c8b7faad9873e47bfba");

    std::array<std::byte, 4> other = salt;
    other[3] = std::byte{0x81};
    const auto r2 = md5_password_response("alice", "p\xc3\xa4ssw\xc3\xb6rd", other);
    REQUIRE(r2);
    CHECK(*r2 != *r);
    CHECK(r2->size() == 35);
    CHECK(r2->starts_with("md5"));
}
