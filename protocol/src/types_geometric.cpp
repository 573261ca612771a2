// Binary and text forms of the geometric types (the server's utils/adt/geo_ops.c).
#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/types/detail/text.hpp>
#include <pgasio/protocol/types/geometric.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <utility>

namespace pgasio::protocol::types::detail {
namespace {

using protocol::detail::byte_reader;
using error_code = boost::system::error_code;

// geo_decls.h's EPSILON: the server's tolerance in FPzero and FPeq.
constexpr double epsilon = 1.0e-10;

bool fp_zero(double v) noexcept {
    return std::fabs(v) <= epsilon;
}

bool fp_eq(double a, double b) noexcept {
    return a == b || std::fabs(a - b) <= epsilon;
}

// The server's line_in and line_recv refuse a = b = 0 (within EPSILON): no line has it.
error_code check(const line& v) noexcept {
    if (fp_zero(v.a) && fp_zero(v.b)) return client_errc::value_out_of_range;
    return {};
}
// circle_in and circle_recv refuse a negative radius (NaN passes, as there).
error_code check(const circle& v) noexcept {
    if (v.radius < 0) return client_errc::value_out_of_range;
    return {};
}
// A path or polygon has at least one point, and its count is an int32.
error_code check_points(const std::vector<point>& points) noexcept {
    if (points.empty() || points.size() > 0x7fffffff) return client_errc::value_out_of_range;
    return {};
}
error_code check(const path& v) noexcept {
    return check_points(v.points);
}
error_code check(const polygon& v) noexcept {
    return check_points(v.points);
}
error_code check(const point&) noexcept {
    return {};
}
error_code check(const lseg&) noexcept {
    return {};
}
error_code check(const box&) noexcept {
    return {};
}

// box_in and box_recv put the larger coordinates in `high`.
void order_corners(box& b) noexcept {
    if (b.high.x < b.low.x) std::swap(b.high.x, b.low.x);
    if (b.high.y < b.low.y) std::swap(b.high.y, b.low.y);
}

// ---- binary ----

void put(write_buffer& out, double v) {
    out.put_u64(std::bit_cast<std::uint64_t>(v));
}
void put(write_buffer& out, const point& p) {
    put(out, p.x);
    put(out, p.y);
}
void put_points(write_buffer& out, const std::vector<point>& points) {
    out.put_i32(static_cast<std::int32_t>(points.size()));
    for (const point& p : points)
        put(out, p);
}

void write(write_buffer& out, const point& v) {
    put(out, v);
}
void write(write_buffer& out, const line& v) {
    put(out, v.a);
    put(out, v.b);
    put(out, v.c);
}
void write(write_buffer& out, const lseg& v) {
    put(out, v.start);
    put(out, v.end);
}
void write(write_buffer& out, const box& v) {
    put(out, v.high);
    put(out, v.low);
}
void write(write_buffer& out, const path& v) {
    out.put_u8(v.closed ? 1 : 0);
    put_points(out, v.points);
}
void write(write_buffer& out, const polygon& v) {
    put_points(out, v.points);
}
void write(write_buffer& out, const circle& v) {
    put(out, v.center);
    put(out, v.radius);
}

double get_double(byte_reader& r) noexcept {
    return std::bit_cast<double>(r.u64());
}
point get_point(byte_reader& r) noexcept {
    point p;
    p.x = get_double(r);
    p.y = get_double(r);
    return p;
}

// The point count and the points of a path or polygon: the count must be positive and match
// the bytes left exactly, which is checked before anything is allocated.
error_code get_points(byte_reader& r, std::vector<point>& out) {
    const std::int32_t n = r.i32();
    if (r.error() || n < 0) return client_errc::invalid_binary_length;
    if (n == 0) return client_errc::value_out_of_range;
    if (r.remaining() / 16 != static_cast<std::size_t>(n) || r.remaining() % 16 != 0)
        return client_errc::invalid_binary_length;
    out.clear();
    out.reserve(static_cast<std::size_t>(n));
    for (std::int32_t i = 0; i < n; ++i)
        out.push_back(get_point(r));
    return {};
}

// The fixed-size types: exactly `size` bytes.
error_code read(byte_reader& r, point& v) {
    if (r.remaining() != 16) return client_errc::invalid_binary_length;
    v = get_point(r);
    return {};
}
error_code read(byte_reader& r, line& v) {
    if (r.remaining() != 24) return client_errc::invalid_binary_length;
    v.a = get_double(r);
    v.b = get_double(r);
    v.c = get_double(r);
    return {};
}
error_code read(byte_reader& r, lseg& v) {
    if (r.remaining() != 32) return client_errc::invalid_binary_length;
    v.start = get_point(r);
    v.end = get_point(r);
    return {};
}
error_code read(byte_reader& r, box& v) {
    if (r.remaining() != 32) return client_errc::invalid_binary_length;
    v.high = get_point(r);
    v.low = get_point(r);
    order_corners(v);
    return {};
}
error_code read(byte_reader& r, path& v) {
    const std::uint8_t closed = r.u8();
    if (r.error()) return client_errc::invalid_binary_length;
    // path_recv takes any non-zero byte as closed, but path_send writes only 0 and 1.
    if (closed > 1) return client_errc::value_out_of_range;
    v.closed = closed == 1;
    return get_points(r, v.points);
}
error_code read(byte_reader& r, polygon& v) {
    return get_points(r, v.points);
}
error_code read(byte_reader& r, circle& v) {
    if (r.remaining() != 24) return client_errc::invalid_binary_length;
    v.center = get_point(r);
    v.radius = get_double(r);
    return {};
}

// ---- text ----

void append_point(std::string& out, const point& p) {
    out += '(';
    append_float(out, p.x);
    out += ',';
    append_float(out, p.y);
    out += ')';
}
// path_encode: the points, each "(x,y)", separated by commas, inside `open` and `close`.
void append_points(std::string& out, const std::vector<point>& points, char open, char close) {
    out += open;
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (i != 0) out += ',';
        append_point(out, points[i]);
    }
    out += close;
}

void format(std::string& out, const point& v) {
    append_point(out, v);
}
void format(std::string& out, const line& v) {
    out += '{';
    append_float(out, v.a);
    out += ',';
    append_float(out, v.b);
    out += ',';
    append_float(out, v.c);
    out += '}';
}
void format(std::string& out, const lseg& v) {
    out += '[';
    append_point(out, v.start);
    out += ',';
    append_point(out, v.end);
    out += ']';
}
void format(std::string& out, const box& v) {
    append_point(out, v.high);
    out += ',';
    append_point(out, v.low);
}
void format(std::string& out, const path& v) {
    append_points(out, v.points, v.closed ? '(' : '[', v.closed ? ')' : ']');
}
void format(std::string& out, const polygon& v) {
    append_points(out, v.points, '(', ')');
}
void format(std::string& out, const circle& v) {
    out += '<';
    append_point(out, v.center);
    out += ',';
    append_float(out, v.radius);
    out += '>';
}

// A cursor over the text of a geometric value, with the server's parsing steps (pair_decode,
// path_decode) as members. Past the end it sees '\0', as the server's C strings end.
class geo_text {
public:
    explicit geo_text(std::string_view s) noexcept
        : s_(s) {}

    char peek() const noexcept { return i_ < s_.size() ? s_[i_] : '\0'; }
    bool at_end() const noexcept { return i_ == s_.size(); }
    void skip_space() noexcept {
        while (i_ < s_.size() && is_space(s_[i_]))
            ++i_;
    }
    bool eat(char c) noexcept {
        if (i_ >= s_.size() || s_[i_] != c) return false;
        ++i_;
        return true;
    }

    // A float8 (float8in_internal): everything up to the next delimiter, white space around it.
    error_code number(double& v) noexcept {
        std::size_t end = s_.find_first_of(",()[]<>{}", i_);
        if (end == std::string_view::npos) end = s_.size();
        if (auto ec = parse_float(s_.substr(i_, end - i_), v)) return ec;
        i_ = end;
        return {};
    }

    // pair_decode: "x,y" or "(x,y)", white space after the ')'.
    error_code pair(point& p) noexcept {
        skip_space();
        const bool parens = eat('(');
        if (auto ec = number(p.x)) return ec;
        if (!eat(',')) return client_errc::invalid_text_value;
        if (auto ec = number(p.y)) return ec;
        if (parens) {
            if (!eat(')')) return client_errc::invalid_text_value;
            skip_space();
        }
        return {};
    }

    // path_decode: `n` points, optionally inside '[' ... ']' (when `open_allowed`; sets
    // `is_open`) or parentheses. A single '(' in front of points without their own parentheses
    // ("(1,2,3,4)") encloses them all.
    error_code points(bool open_allowed, std::span<point> out, bool& is_open) noexcept {
        skip_space();
        int depth = 0;
        is_open = peek() == '[';
        if (is_open) {
            if (!open_allowed) return client_errc::invalid_text_value;
            ++depth;
            ++i_;
        } else if (peek() == '(') {
            std::size_t next = i_ + 1;
            while (next < s_.size() && is_space(s_[next]))
                ++next;
            if ((next < s_.size() && s_[next] == '(') ||
                s_.find('(', i_ + 1) == std::string_view::npos) {
                ++depth;
                i_ = next;
            }
        }
        for (point& p : out) {
            if (auto ec = pair(p)) return ec;
            eat(',');
        }
        while (depth > 0) {
            if (peek() == ')' || (peek() == ']' && is_open && depth == 1)) {
                --depth;
                ++i_;
                skip_space();
            } else {
                return client_errc::invalid_text_value;
            }
        }
        return {};
    }

    // pair_count: the number of points in a path or polygon given the commas in it (an odd
    // number of them: one between the coordinates of each point, one between points), or 0.
    std::size_t pair_count() const noexcept {
        std::size_t commas = 0;
        for (char c : s_)
            commas += c == ',';
        return commas % 2 == 1 ? (commas + 1) / 2 : 0;
    }

    error_code finish() const noexcept {
        return at_end() ? error_code{} : error_code{client_errc::invalid_text_value};
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

error_code parse(std::string_view in, point& v) {
    geo_text t(in);
    if (auto ec = t.pair(v)) return ec;
    return t.finish();
}

// line_construct from a point and a slope (point_sl), as line_in does for two points.
void line_through(const point& p1, const point& p2, line& v) noexcept {
    if (fp_eq(p1.x, p2.x)) {
        v = {-1.0, 0.0, p1.x}; // vertical: x = c
        return;
    }
    if (fp_eq(p1.y, p2.y)) {
        v = {0.0, -1.0, p1.y}; // horizontal: y = c
        return;
    }
    const double m = (p1.y - p2.y) / (p1.x - p2.x);
    v = {m, -1.0, p1.y - m * p1.x};
    if (v.c == 0.0) v.c = 0.0; // the server turns -0 into 0 here
}

// point_eq_point: NaN coordinates must all be NaN; others equal within EPSILON.
bool same_point(const point& a, const point& b) noexcept {
    if (std::isnan(a.x) || std::isnan(a.y) || std::isnan(b.x) || std::isnan(b.y))
        return std::isnan(a.x) && std::isnan(a.y) && std::isnan(b.x) && std::isnan(b.y);
    return fp_eq(a.x, b.x) && fp_eq(a.y, b.y);
}

error_code parse(std::string_view in, line& v) {
    geo_text t(in);
    t.skip_space();
    if (t.eat('{')) {
        for (double* c : {&v.a, &v.b}) {
            if (auto ec = t.number(*c)) return ec;
            if (!t.eat(',')) return client_errc::invalid_text_value;
        }
        if (auto ec = t.number(v.c)) return ec;
        if (!t.eat('}')) return client_errc::invalid_text_value;
        t.skip_space();
        if (auto ec = t.finish()) return ec;
        return check(v);
    }
    // Two distinct points on the line, in lseg's syntax.
    point p[2];
    bool is_open = false;
    if (auto ec = t.points(true, p, is_open)) return ec;
    if (auto ec = t.finish()) return ec;
    if (same_point(p[0], p[1])) return client_errc::value_out_of_range;
    line_through(p[0], p[1], v);
    return {};
}

error_code parse(std::string_view in, lseg& v) {
    geo_text t(in);
    point p[2];
    bool is_open = false;
    if (auto ec = t.points(true, p, is_open)) return ec;
    if (auto ec = t.finish()) return ec;
    v = {p[0], p[1]};
    return {};
}

error_code parse(std::string_view in, box& v) {
    geo_text t(in);
    point p[2];
    bool is_open = false;
    if (auto ec = t.points(false, p, is_open)) return ec;
    if (auto ec = t.finish()) return ec;
    v = {p[0], p[1]};
    order_corners(v);
    return {};
}

error_code parse(std::string_view in, path& v) {
    geo_text t(in);
    const std::size_t n = t.pair_count();
    if (n == 0) return client_errc::invalid_text_value;
    // path_in: a single '(' around everything ("(1,2,3,4)") is taken off first.
    t.skip_space();
    bool outer = false;
    if (t.peek() == '(' && t.s_.find('(', t.i_ + 1) == std::string_view::npos) {
        t.eat('(');
        outer = true;
    }
    v.points.assign(n, point{});
    bool is_open = false;
    if (auto ec = t.points(true, v.points, is_open)) return ec;
    if (outer) {
        if (!t.eat(')')) return client_errc::invalid_text_value;
        t.skip_space();
    }
    if (auto ec = t.finish()) return ec;
    v.closed = !is_open;
    return {};
}

error_code parse(std::string_view in, polygon& v) {
    geo_text t(in);
    const std::size_t n = t.pair_count();
    if (n == 0) return client_errc::invalid_text_value;
    v.points.assign(n, point{});
    bool is_open = false;
    if (auto ec = t.points(false, v.points, is_open)) return ec;
    return t.finish();
}

error_code parse(std::string_view in, circle& v) {
    geo_text t(in);
    t.skip_space();
    int depth = 0;
    if (t.eat('<')) {
        ++depth;
    } else if (t.peek() == '(') {
        // Two '(' in front: the first one encloses the whole circle.
        std::size_t next = t.i_ + 1;
        while (next < in.size() && is_space(in[next]))
            ++next;
        if (next < in.size() && in[next] == '(') {
            ++depth;
            t.i_ = next;
        }
    }
    if (auto ec = t.pair(v.center)) return ec;
    t.eat(',');
    if (auto ec = t.number(v.radius)) return ec;
    if (auto ec = check(v)) return ec;
    while (depth > 0) {
        if (t.peek() == ')' || (t.peek() == '>' && depth == 1)) {
            --depth;
            ++t.i_;
            t.skip_space();
        } else {
            return client_errc::invalid_text_value;
        }
    }
    return t.finish();
}

} // namespace

template <class T, oid Type, oid ArrayType>
error_code geometric_codec<T, Type, ArrayType>::encode_binary(write_buffer& out, const T& v) {
    if (auto ec = check(v)) return ec;
    write(out, v);
    return {};
}

template <class T, oid Type, oid ArrayType>
error_code geometric_codec<T, Type, ArrayType>::decode_binary(std::span<const std::byte> in, oid t,
                                                              T& out) {
    if (!accepts(t)) return client_errc::type_mismatch;
    byte_reader r(in);
    if (auto ec = read(r, out)) return ec;
    return check(out);
}

template <class T, oid Type, oid ArrayType>
error_code geometric_codec<T, Type, ArrayType>::encode_text(std::string& out, const T& v) {
    if (auto ec = check(v)) return ec;
    format(out, v);
    return {};
}

template <class T, oid Type, oid ArrayType>
error_code geometric_codec<T, Type, ArrayType>::decode_text(std::string_view in, oid t, T& out) {
    if (!accepts(t)) return client_errc::type_mismatch;
    return parse(in, out);
}

template struct geometric_codec<point, oids::point, oids::point_array>;
template struct geometric_codec<line, oids::line, oids::line_array>;
template struct geometric_codec<lseg, oids::lseg, oids::lseg_array>;
template struct geometric_codec<box, oids::box, oids::box_array>;
template struct geometric_codec<path, oids::path, oids::path_array>;
template struct geometric_codec<polygon, oids::polygon, oids::polygon_array>;
template struct geometric_codec<circle, oids::circle, oids::circle_array>;

} // namespace pgasio::protocol::types::detail
