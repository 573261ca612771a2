// pgasio query URL "SQL" [params...]: one statement, its rows printed as an aligned table, CSV
// or JSON.
#include "command.hpp"
#include "session.hpp"

#include <pgasio/connection.hpp>
#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/types.hpp>

#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace pgasio::cli {
namespace {

namespace oids = protocol::oids;
namespace asio = boost::asio;

// A parameter given as text, made a value of the type the server expects ($n's type in the
// prepared statement), so that `WHERE id = $1` works with `42` as psql's \bind does.
template <class T>
value decode_as(const std::string& text, protocol::oid type, std::size_t n) {
    T v{};
    if (protocol::types::codec<T>::decode_text(text, type, v))
        throw std::runtime_error(
            fmt::format("parameter ${}: '{}' is not a valid {}", n, text, oids::type_name(type)));
    return value(std::move(v));
}

value typed_param(const std::string& text, protocol::oid type, std::size_t n) {
    using namespace std::chrono;
    switch (type) {
    case oids::bool_:
        return decode_as<bool>(text, type, n);
    case oids::int2:
        return decode_as<std::int16_t>(text, type, n);
    case oids::int4:
        return decode_as<std::int32_t>(text, type, n);
    case oids::int8:
        return decode_as<std::int64_t>(text, type, n);
    case oids::float4:
        return decode_as<float>(text, type, n);
    case oids::float8:
        return decode_as<double>(text, type, n);
    case oids::numeric:
        return decode_as<protocol::numeric>(text, type, n);
    case oids::uuid:
        return decode_as<protocol::uuid>(text, type, n);
    case oids::date:
        return decode_as<sys_days>(text, type, n);
    case oids::timestamp:
        return decode_as<local_time<microseconds>>(text, type, n);
    case oids::timestamptz:
        return decode_as<sys_time<microseconds>>(text, type, n);
    case oids::time:
        return decode_as<protocol::time_of_day>(text, type, n);
    case oids::interval:
        return decode_as<protocol::interval>(text, type, n);
    case oids::json:
        return decode_as<protocol::json>(text, type, n);
    case oids::jsonb:
        return decode_as<protocol::jsonb>(text, type, n);
    case oids::inet:
        return decode_as<protocol::inet>(text, type, n);
    default:
        return value(text); // text, and types the server converts from text itself
    }
}

std::string_view text_of(std::span<const std::byte> raw) {
    return {reinterpret_cast<const char*>(raw.data()), raw.size()};
}

// CSV as RFC 4180 writes it: quoted when it holds a comma, quote, CR or LF.
std::string csv_field(std::string_view s) {
    if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

bool is_number_type(protocol::oid t) {
    return t == oids::int2 || t == oids::int4 || t == oids::int8 || t == oids::float4 ||
           t == oids::float8 || t == oids::numeric || t == oids::oid_;
}

// Whether `text` is a number as JSON writes one (-?int frac? exp?): the server's text of every
// finite value of is_number_type, which NaN and Infinity are not.
bool is_json_number(std::string_view text) {
    std::size_t i = 0;
    auto digits = [&] {
        const std::size_t from = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9')
            ++i;
        return i - from;
    };
    if (i < text.size() && text[i] == '-') ++i;
    const std::size_t first = i;
    const std::size_t whole = digits();
    if (whole == 0 || (whole > 1 && text[first] == '0')) return false;
    if (i < text.size() && text[i] == '.') {
        ++i;
        if (digits() == 0) return false;
    }
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
        if (digits() == 0) return false;
    }
    return i == text.size();
}

// One value as JSON. Numbers and json documents are written as the server's text, never
// through a double: a numeric keeps every digit and its scale (1.50 stays 1.50).
std::string json_field(const column& col, std::optional<std::span<const std::byte>> raw) {
    if (!raw) return "null";
    const std::string_view text = text_of(*raw);
    if (col.type_oid == oids::bool_) return text == "t" ? "true" : "false";
    if (is_number_type(col.type_oid) && is_json_number(text)) return std::string(text);
    if (col.type_oid == oids::json || col.type_oid == oids::jsonb) {
        boost::system::error_code ec;
        boost::json::parse(text, ec); // the server checked it; an odd one is kept as a string
        if (!ec) return std::string(text);
    }
    return boost::json::serialize(boost::json::string(text)); // NaN and Infinity among them
}

// psql's lines: no spaces after the last column.
void print_line(std::string& line) {
    line.erase(line.find_last_not_of(' ') + 1);
    fmt::print("{}\n", line);
}

void print_table(const result& rows) {
    const auto& cols = rows.columns();
    std::vector<std::size_t> width(cols.size());
    for (std::size_t i = 0; i < cols.size(); ++i)
        width[i] = cols[i].name.size();
    for (auto row : rows)
        for (std::size_t i = 0; i < cols.size(); ++i)
            if (auto raw = row.raw(i)) width[i] = std::max(width[i], raw->size());
    std::string line;
    for (std::size_t i = 0; i < cols.size(); ++i)
        line += fmt::format("{}{:^{}}", i ? " | " : " ", cols[i].name, width[i]);
    print_line(line);
    line.clear();
    for (std::size_t i = 0; i < cols.size(); ++i)
        line += (i ? "-+-" : "-") + std::string(width[i], '-');
    fmt::print("{}-\n", line);
    for (auto row : rows) {
        line.clear();
        for (std::size_t i = 0; i < cols.size(); ++i) {
            const auto raw = row.raw(i);
            const std::string_view v = raw ? text_of(*raw) : std::string_view();
            // Numbers right-aligned, as psql does; everything else left.
            if (is_number_type(cols[i].type_oid))
                line += fmt::format("{}{:>{}}", i ? " | " : " ", v, width[i]);
            else
                line += fmt::format("{}{:<{}}", i ? " | " : " ", v, width[i]);
        }
        print_line(line);
    }
    fmt::print("({} row{})\n", rows.size(), rows.size() == 1 ? "" : "s");
}

void print_csv(const result& rows) {
    const auto& cols = rows.columns();
    std::string line;
    for (std::size_t i = 0; i < cols.size(); ++i)
        line += (i ? "," : "") + csv_field(cols[i].name);
    fmt::print("{}\n", line);
    for (auto row : rows) {
        line.clear();
        for (std::size_t i = 0; i < cols.size(); ++i) {
            const auto raw = row.raw(i);
            line += (i ? "," : "") + (raw ? csv_field(text_of(*raw)) : std::string());
        }
        fmt::print("{}\n", line);
    }
}

// Written by hand rather than through boost::json::value, whose numbers are doubles.
void print_json(const result& rows) {
    std::string out = "[";
    for (auto row : rows) {
        out += out.size() == 1 ? "{" : ",{";
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (i != 0) out += ',';
            out += boost::json::serialize(boost::json::string(rows.columns()[i].name));
            out += ':';
            out += json_field(rows.columns()[i], row.raw(i));
        }
        out += '}';
    }
    fmt::print("{}]\n", out);
}

enum class output_format { table, csv, json };

// The statement's rows as text: prepared first, for its parameter types, then run in the simple
// protocol, whose rows arrive in PostgreSQL's own text forms (what psql prints).
asio::awaitable<int> run_query(config cfg, std::string sql, std::vector<std::string> params,
                               output_format format) {
    connection conn(co_await asio::this_coro::executor);
    co_await conn.async_connect(cfg);
    const statement stmt = co_await conn.async_prepare(sql);
    if (stmt.parameter_types().size() != params.size())
        throw std::runtime_error(fmt::format("the statement takes {} parameters, {} given",
                                             stmt.parameter_types().size(), params.size()));
    std::vector<value> values;
    for (std::size_t i = 0; i < params.size(); ++i)
        values.push_back(typed_param(params[i], stmt.parameter_types()[i], i + 1));
    co_await conn.async_close_statement(stmt);
    const result rows =
        co_await conn.async_query(sql, values, with_exec_mode(query_exec_mode::simple_protocol));
    if (rows.columns().empty())
        fmt::print("{}\n", rows.command_tag());
    else if (format == output_format::csv)
        print_csv(rows);
    else if (format == output_format::json)
        print_json(rows);
    else
        print_table(rows);
    co_await conn.async_close();
    co_return 0;
}

} // namespace

int query_command(std::span<const std::string> args) {
    po::options_description options("options");
    options.add_options()("csv", "print CSV (a header line, then one line per row)")(
        "json", "print a JSON array of objects, one per row")(
        "url", po::value<std::string>()->required(), "connection string or URI")(
        "sql", po::value<std::string>()->required(), "one SQL statement, $1... for parameters")(
        "param", po::value<std::vector<std::string>>()->default_value({}, ""),
        "parameters, as text: each is converted to the type the statement gives $n");
    po::positional_options_description positional;
    positional.add("url", 1).add("sql", 1).add("param", -1);
    auto parsed = parse_args(args, options, positional,
                             "usage: pgasio query [--csv | --json] URL \"SQL\" [params...]\n"
                             "Runs one statement and prints its rows; on an error, prints what the "
                             "server said and exits with 1.");
    if (const int* status = std::get_if<int>(&parsed)) return *status;
    const auto& vm = std::get<po::variables_map>(parsed);
    const std::string sql = vm["sql"].as<std::string>();
    const output_format format = vm.count("json")  ? output_format::json
                                 : vm.count("csv") ? output_format::csv
                                                   : output_format::table;
    return run(
        [&]() {
            return run_query(parse_url(vm["url"].as<std::string>()), sql,
                             vm["param"].as<std::vector<std::string>>(), format);
        },
        sql);
}

} // namespace pgasio::cli
