#include <pgasio/detail/result_builder.hpp>
#include <pgasio/result.hpp>

#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/oids.hpp>

#include "support/bytes.hpp"
#include "unit/result_support.hpp"

#include <catch2/catch.hpp>

#include <iterator>
#include <ranges>
#include <string>
#include <string_view>
#include <vector>

using namespace std::literals;
using namespace pgasio;
using namespace pgasio::test;
namespace oids = pgasio::protocol::oids;

static_assert(std::random_access_iterator<result::iterator>);
static_assert(std::ranges::random_access_range<const result>);
static_assert(std::is_nothrow_move_constructible_v<result>);

TEST_CASE("result: columns copied from RowDescription") {
    const auto body = to_bytes("\0\x02"
                               "id\0\0\0\x40\x01\0\x01\0\0\0\x17\0\x04\xff\xff\xff\xff\0\x01"
                               "name\0\0\0\0\0\0\0\0\0\0\x19\xff\xff\0\0\0\x44\0\0"sv);
    const auto rd = protocol::decode_row_description(body);
    REQUIRE(rd.has_value());
    const column_list cols = detail::make_columns(*rd);
    REQUIRE(cols->size() == 2);
    CHECK((*cols)[0] ==
          column{"id", oids::int4, 0x4001, 1, 4, -1, protocol::format_code::binary, nullptr});
    CHECK((*cols)[1] ==
          column{"name", oids::text, 0, 0, -1, 0x44, protocol::format_code::text, nullptr});
}

TEST_CASE("result: rows, values and NULLs") {
    const auto r = make_result({{"a", oids::int4}, {"b", oids::text}},
                               {{bin(std::int32_t{1}), txt("x")},
                                {std::nullopt, txt("")},
                                {bin(std::int32_t{3}), std::nullopt}},
                               "SELECT 3");
    REQUIRE(r.size() == 3);
    CHECK(!r.empty());
    CHECK(r.columns().size() == 2);
    CHECK(r.command_tag() == "SELECT 3");
    CHECK(r.rows_affected() == 3);

    CHECK(r[0].size() == 2);
    CHECK(to_string(*r[0].raw(0)) == "\0\0\0\x01"sv);
    CHECK(to_string(*r[0].raw(1)) == "x");
    CHECK(r[1].is_null(0));
    CHECK(!r[1].is_null(1)); // an empty string is not NULL
    CHECK(r[1].raw(1)->empty());
    CHECK(!r[2].is_null(0));
    CHECK(r[2].is_null(1));
    CHECK(!r[2].raw(1));
}

TEST_CASE("result: every value lives in one contiguous buffer, in order") {
    const auto r =
        make_result({{"a", oids::text}, {"b", oids::text}},
                    {{txt("ab"), txt("cde")}, {std::nullopt, txt("f")}, {txt("gh"), txt("")}});
    CHECK(to_string(r.buffer()) == "abcdefgh");
    const std::byte* base = r.buffer().data();
    CHECK(r[0].raw(0)->data() == base);
    CHECK(r[0].raw(1)->data() == base + 2);
    CHECK(r[1].raw(1)->data() == base + 5); // the NULL took no bytes
    CHECK(r[2].raw(0)->data() == base + 6);
    CHECK(r[2].raw(1)->size() == 0);
}

TEST_CASE("result: values of every length up to 40 bytes are copied exactly") {
    // Short values are copied inline, by size class (1-3, 4-7, 8-16 bytes), longer ones by
    // memcpy: every length, next to NULLs and neighbours, must come back byte for byte.
    std::string all;
    for (int i = 0; i < 40; ++i)
        all += static_cast<char>('a' + i % 26) + std::string(1, static_cast<char>('0' + i % 10));
    std::vector<std::vector<field>> rows;
    for (std::size_t len = 0; len <= 40; ++len)
        rows.push_back({txt(std::string_view(all).substr(len, len)), std::nullopt,
                        txt(std::string_view(all).substr(0, 40 - len))});
    const auto r = make_result({{"v", oids::text}, {"n", oids::text}, {"w", oids::text}}, rows);
    REQUIRE(r.size() == 41);
    for (std::size_t len = 0; len <= 40; ++len) {
        INFO("length " << len);
        CHECK(r[len].get<std::string_view>(0) == std::string_view(all).substr(len, len));
        CHECK(r[len].is_null(1));
        CHECK(r[len].get<std::string_view>(2) == std::string_view(all).substr(0, 40 - len));
    }
}

TEST_CASE("result: moving keeps row views and decoded views valid") {
    auto r = make_result({{"s", oids::text}}, {{txt("hello")}});
    const row_view row = r[0];
    const auto s = row.get<std::string_view>(0);
    const result moved = std::move(r);
    CHECK(moved[0].get<std::string_view>(0).data() == s.data());
    CHECK(row.get<std::string>(0) == "hello");
    const result copy = moved; // a deep copy: its own buffer, same columns
    CHECK(copy[0].get<std::string_view>(0) == "hello");
    CHECK(copy[0].get<std::string_view>(0).data() != s.data());
    CHECK(copy.shared_columns() == moved.shared_columns());
}

TEST_CASE("result: iterators are random access over row views") {
    const auto r =
        make_result({{"n", oids::int8}},
                    {{bin(std::int64_t{10})}, {bin(std::int64_t{20})}, {bin(std::int64_t{30})}});
    std::vector<std::int64_t> seen;
    for (row_view row : r)
        seen.push_back(row.get<std::int64_t>(0));
    CHECK(seen == std::vector<std::int64_t>{10, 20, 30});
    auto it = r.begin();
    CHECK(r.end() - it == 3);
    CHECK(it[2].get<std::int64_t>(0) == 30);
    it += 2;
    CHECK((*it).get<std::int64_t>(0) == 30);
    --it;
    CHECK((*it).get<std::int64_t>(0) == 20);
    CHECK(it < r.end());
    CHECK(std::ranges::distance(r) == 3);
    CHECK((r.begin() + 3) == r.end());
}

TEST_CASE("result: column lookup is exact and finds the first match") {
    const auto r = make_result({{"id", oids::int4}, {"Name", oids::text}, {"id", oids::int8}},
                               {{bin(std::int32_t{1}), txt("a"), bin(std::int64_t{2})}});
    CHECK(r.column_index("id") == 0u);
    CHECK(r.column_index("Name") == 1u);
    CHECK(!r.column_index("name"));
    CHECK(!r.column_index("\"Name\""));
    CHECK(!r.column_index(""));
    CHECK(r[0].column_index("id") == 0u);
    CHECK(r[0].get<std::int64_t>("id") == 1);
}

TEST_CASE("result: rows_affected from the command tag") {
    CHECK(make_result({}, {}, "INSERT 0 5").rows_affected() == 5);
    CHECK(make_result({}, {}, "UPDATE 3").rows_affected() == 3);
    CHECK(make_result({}, {}, "DELETE 0").rows_affected() == 0);
    CHECK(make_result({}, {}, "CREATE TABLE").rows_affected() == 0);
    CHECK(make_result({}, {}, "").rows_affected() == 0);
    CHECK(result{}.rows_affected() == 0);
    CHECK(result{}.command_tag().empty());
    CHECK(result{}.columns().empty());
    CHECK(result{}.empty());
}

TEST_CASE("result: rows without columns") {
    const auto r = make_result({}, {{}, {}}, "SELECT 2");
    CHECK(r.size() == 2);
    CHECK(r[1].size() == 0);
    CHECK(r.buffer().empty());
}

TEST_CASE("result_builder: refuses a row with the wrong number of values") {
    const column_list cols = columns_of({{"a", oids::int4}, {"b", oids::int4}});
    detail::result_builder b;
    b.set_columns(cols);
    const auto good = data_row_body({bin(std::int32_t{1}), std::nullopt});
    const auto short_row = data_row_body({bin(std::int32_t{1})});
    const auto long_row = data_row_body({txt("a"), txt("b"), txt("c")});
    CHECK(!b.add_row(good));
    CHECK(b.add_row(short_row) == protocol::client_errc::unexpected_message);
    CHECK(b.add_row(long_row) == protocol::client_errc::unexpected_message);
    const result r = b.finish();
    CHECK(r.size() == 1);
    CHECK(r.buffer().size() == 4);
}

TEST_CASE("result_builder: a malformed row is refused and leaves the result as it was") {
    const column_list cols = columns_of({{"a", oids::text}, {"b", oids::text}});
    detail::result_builder b;
    b.set_columns(cols);
    REQUIRE(!b.add_row(data_row_body({txt("first"), txt("row")})));
    // The second value announces 100 bytes and carries 3; the first was already copied.
    auto truncated = data_row_body({txt("abc"), txt("def")});
    truncated[2 + 4 + 3 + 3] = std::byte{100};
    CHECK(b.add_row(truncated) == protocol::client_errc::truncated_message);
    auto trailing = data_row_body({txt("abc"), txt("def")});
    trailing.push_back(std::byte{0});
    CHECK(b.add_row(trailing) == protocol::client_errc::trailing_bytes);
    auto negative = data_row_body({txt("abc"), std::nullopt});
    negative[2 + 4 + 3 + 3] = std::byte{0xfe}; // length -2
    CHECK(b.add_row(negative) == protocol::client_errc::invalid_field_value);
    const result r = b.finish();
    REQUIRE(r.size() == 1);
    CHECK(r.buffer().size() == 8);
    CHECK(r[0].get<std::string_view>(1) == "row");
}

TEST_CASE("result_builder: finish leaves it empty and reusable") {
    const column_list cols = columns_of({{"a", oids::text}});
    detail::result_builder b;
    b.set_columns(cols);
    const auto row = data_row_body({txt("one")});
    REQUIRE(!b.add_row(row));
    b.set_command_tag("SELECT 1");
    const result first = b.finish();
    CHECK(first.size() == 1);

    const result empty = b.finish();
    CHECK(empty.size() == 0);
    CHECK(empty.columns().empty());
    CHECK(empty.command_tag().empty());

    // Without columns, only rows without values are accepted.
    CHECK(b.add_row(row) == protocol::client_errc::unexpected_message);
    b.set_command_tag("INSERT 0 7");
    const result command = b.finish();
    CHECK(command.rows_affected() == 7);
    CHECK(first[0].get<std::string_view>(0) == "one");
}

TEST_CASE("result_builder: small results are copied out, large ones take its buffers") {
    const column_list cols = columns_of({{"n", oids::int4}, {"s", oids::text}});
    detail::result_builder b;
    const auto fill = [&](int rows) {
        b.set_columns(cols);
        for (int i = 0; i < rows; ++i) {
            const field text = i % 7 == 0 ? std::nullopt : field(txt(std::to_string(i)));
            REQUIRE(!b.add_row(data_row_body({bin(std::int32_t{i}), text})));
        }
        return b.finish();
    };
    const auto check = [](const result& r, int rows) {
        REQUIRE(r.size() == static_cast<std::size_t>(rows));
        for (int i = 0; i < rows; ++i) {
            const row_view row = r[static_cast<std::size_t>(i)];
            if (row.get<std::int32_t>(0) != i) return false;
            const auto text = row.try_get<std::string_view>(1);
            if (i % 7 == 0 ? text.has_value() : text != std::to_string(i)) return false;
        }
        return true;
    };
    // 8,000 rows take more than keep_limit bytes (two offsets and ~8 value bytes each): the
    // result takes the builder's buffers; the small results before and after are copies, and
    // none of them shares bytes with the others.
    const result small = fill(10);
    const result large = fill(8'000);
    const result again = fill(3);
    CHECK(large.buffer().size() + 8'000 * 2 * 4 > detail::result_builder::keep_limit);
    CHECK(check(small, 10));
    CHECK(check(large, 8'000));
    CHECK(check(again, 3));
    // Copies and moves keep their rows, whichever layout they have.
    const result small_copy = small;
    const result large_copy = large;
    result moved = std::move(again);
    CHECK(small_copy.buffer().data() != small.buffer().data());
    CHECK(check(small_copy, 10));
    CHECK(check(large_copy, 8'000));
    CHECK(check(moved, 3));
}

TEST_CASE("result_builder: reset forgets a result built half-way") {
    const column_list cols = columns_of({{"s", oids::text}});
    detail::result_builder b;
    b.set_columns(cols);
    REQUIRE(!b.add_row(data_row_body({txt("abandoned")})));
    b.set_command_tag("SELECT 1");
    b.reset();
    const result none = b.finish();
    CHECK(none.size() == 0);
    CHECK(none.columns().empty());
    CHECK(none.command_tag().empty());
    b.set_columns(cols);
    REQUIRE(!b.add_row(data_row_body({txt("kept")})));
    const result r = b.finish();
    REQUIRE(r.size() == 1);
    CHECK(r[0].get<std::string_view>(0) == "kept");
    CHECK(to_string(r.buffer()) == "kept");
}
