#include <pgasio/error.hpp>
#include <pgasio/query_as.hpp>
#include <pgasio/result.hpp>

#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/oids.hpp>

#include "unit/result_support.hpp"

#include <boost/describe/class.hpp>

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

using namespace std::literals;
using namespace pgasio;
using namespace pgasio::test;
namespace oids = pgasio::protocol::oids;
using protocol::client_errc;

namespace qa {

struct user {
    std::int64_t id = 0;
    std::string name;
    std::optional<std::string> email;
};
BOOST_DESCRIBE_STRUCT(user, (), (id, name, email))

struct point {
    double x = 0;
    double y = 0;
};

struct needs_age {
    std::int32_t age = 0;
};
BOOST_DESCRIBE_STRUCT(needs_age, (), (age))

} // namespace qa

namespace {

// Columns in another order than the members, plus one no member wants.
result users() {
    return make_result({{"extra", oids::bool_},
                        {"name", oids::text},
                        {"id", oids::int8},
                        {"email", oids::varchar}},
                       {{bin(true), txt("alice"), bin(std::int64_t{1}), txt("a@x")},
                        {bin(false), txt("bob"), bin(std::int64_t{2}), std::nullopt}});
}

} // namespace

static_assert(detail::mapping_of<qa::user>() == detail::row_mapping::described);
static_assert(detail::mapping_of<qa::point>() == detail::row_mapping::aggregate);
static_assert(detail::mapping_of<std::tuple<int, std::string>>() == detail::row_mapping::tuple);
static_assert(detail::mapping_of<std::int64_t>() == detail::row_mapping::scalar);
static_assert(detail::mapping_of<std::optional<std::string>>() == detail::row_mapping::scalar);
static_assert(detail::mapping_of<protocol::uuid>() == detail::row_mapping::scalar);
static_assert(detail::field_count<qa::user>() == 3);
static_assert(detail::field_count<qa::point>() == 2);

TEST_CASE("query_as: a described struct maps columns by name") {
    const auto v = detail::rows_as<qa::user>(users());
    REQUIRE(v.size() == 2);
    CHECK(v[0].id == 1);
    CHECK(v[0].name == "alice");
    CHECK(v[0].email == "a@x");
    CHECK(v[1].id == 2);
    CHECK(v[1].name == "bob");
    CHECK(!v[1].email);
    const auto r = users();
    CHECK(detail::row_as<qa::user>(r[1]).name == "bob");
}

TEST_CASE("query_as: the plan is the column of each member") {
    const auto r = users();
    const auto plan = detail::make_row_plan<qa::user>(r.columns());
    CHECK(plan.columns == std::array<std::size_t, 3>{2, 1, 3});
}

TEST_CASE("query_as: an aggregate and a tuple map by position") {
    const auto r = make_result({{"a", oids::float8}, {"b", oids::float4}},
                               {{bin(1.5), bin(2.5f)}, {bin(-1.0), bin(0.0f)}});
    const auto points = detail::rows_as<qa::point>(r);
    REQUIRE(points.size() == 2);
    CHECK(points[0].x == 1.5);
    CHECK(points[0].y == 2.5);
    CHECK(points[1].x == -1.0);

    const auto tuples = detail::rows_as<std::tuple<double, std::optional<double>>>(r);
    CHECK(std::get<0>(tuples[1]) == -1.0);
    CHECK(std::get<1>(tuples[0]) == 2.5);
}

TEST_CASE("query_as: a single column maps to a scalar") {
    const auto r = make_result({{"n", oids::int4}}, {{bin(std::int32_t{4})}, {std::nullopt}});
    CHECK(detail::rows_as<std::optional<std::int64_t>>(r) ==
          std::vector<std::optional<std::int64_t>>{4, std::nullopt});
    CHECK(detail::row_as<std::int32_t>(r[0]) == 4);
}

TEST_CASE("query_as: errors name the member and the columns") {
    const auto r = users();
    auto e = thrown([&] { (void)detail::rows_as<qa::needs_age>(r); });
    CHECK(e.code() == client_errc::type_mismatch);
    CHECK(e.diag().message == "no column \"age\" for member age of qa::needs_age (the columns: "
                              "\"extra\", \"name\", \"id\", \"email\")");

    e = thrown([&] { (void)detail::rows_as<std::tuple<bool, std::string>>(r); });
    CHECK(e.code() == client_errc::type_mismatch);
    CHECK(e.diag().message.starts_with("std::tuple<bool, "));
    CHECK(e.diag().message.ends_with(" takes 2 columns by position, but the result has 4 "
                                     "(\"extra\", \"name\", \"id\", \"email\")"));

    e = thrown([&] { (void)detail::rows_as<qa::point>(r); });
    CHECK(e.diag().message == "qa::point takes 2 columns by position, but the result has 4 "
                              "(\"extra\", \"name\", \"id\", \"email\")");

    const auto wrong = make_result({{"age", oids::text}}, {});
    e = thrown([&] { (void)detail::rows_as<qa::needs_age>(wrong); }); // checked without rows
    CHECK(e.code() == client_errc::type_mismatch);
    CHECK(e.diag().message == "column 0 \"age\" has type text (oid 25), which does not convert "
                              "to std::int32_t (member age of qa::needs_age)");

    const auto two = make_result({{"a", oids::float8}, {"b", oids::text}}, {});
    e = thrown([&] { (void)detail::rows_as<qa::point>(two); });
    CHECK(e.diag().message == "column 1 \"b\" has type text (oid 25), which does not convert "
                              "to double (field 1 of qa::point)");
}

TEST_CASE("query_as: a NULL into a non-optional member") {
    const auto r = make_result({{"id", oids::int8}, {"name", oids::text}, {"email", oids::text}},
                               {{bin(std::int64_t{1}), std::nullopt, std::nullopt}});
    const auto e = thrown([&] { (void)detail::rows_as<qa::user>(r); });
    CHECK(e.code() == client_errc::unexpected_null);
    CHECK(e.diag().message == "column 1 \"name\" is NULL, which does not convert to std::string "
                              "(use std::optional or try_get)");
}
