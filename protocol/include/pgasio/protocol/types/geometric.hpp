// The geometric types point, line, lseg, box, path, polygon and circle, and their codecs.
#pragma once

#include <pgasio/protocol/oids.hpp>
#include <pgasio/protocol/types/codec.hpp>

#include <vector>

namespace pgasio::protocol {

// Every coordinate is a float8 (double), as on the server: NaN and the infinities are values like
// any other. The types compare member-wise with ==, so a value with a NaN coordinate is not equal
// to itself (the server's own `~=` operators compare with a tolerance of 1e-10 instead).

/// A point, text "(x,y)".
struct point {
    /// The abscissa.
    double x = 0;
    /// The ordinate.
    double y = 0;
    /// Whether both have the same coordinates.
    friend bool operator==(const point&, const point&) = default;
};

/// An infinite line, the points where a*x + b*y + c = 0; text "{a,b,c}". a and b are not both
/// zero (the server refuses such a line, and so do the codecs: value_out_of_range).
struct line {
    /// The coefficient of x.
    double a = 0;
    /// The coefficient of y.
    double b = -1;
    /// The constant term.
    double c = 0;
    /// Whether both have the same coefficients (a line has many equations: {1,-1,0} and
    /// {2,-2,0} are the same line, but not equal here).
    friend bool operator==(const line&, const line&) = default;
};

/// A line segment between two points, text "[(x1,y1),(x2,y2)]".
struct lseg {
    /// The first end point.
    point start;
    /// The second end point.
    point end;
    /// Whether both have the same end points in the same order.
    friend bool operator==(const lseg&, const lseg&) = default;
};

/// A rectangle with sides parallel to the axes, given by two opposite corners; text
/// "(x_high,y_high),(x_low,y_low)", the upper right corner first.
///
/// The server keeps `high` above and right of `low`: it swaps coordinates on input so that it is
/// (box '(1,2),(3,4)' is stored as (3,4),(1,2)). Decoding does the same, encoding sends the
/// corners as they are and lets the server order them.
struct box {
    /// The upper right corner (the larger coordinates).
    point high;
    /// The lower left corner (the smaller coordinates).
    point low;
    /// Whether both have the same corners.
    friend bool operator==(const box&, const box&) = default;
};

/// A path: a sequence of at least one point, open (text "[(x1,y1),...]") or closed (text
/// "((x1,y1),...)": the last point joins the first). An empty path is not a value: encoding one
/// fails with value_out_of_range.
struct path {
    /// The points, in order.
    std::vector<point> points;
    /// True for a closed path (a cycle), false for an open one.
    bool closed = false;
    /// Whether both have the same points in the same order, and are both open or both closed.
    friend bool operator==(const path&, const path&) = default;
};

/// A polygon: the closed path through its points (at least one), text "((x1,y1),...)". An empty
/// polygon is not a value: encoding one fails with value_out_of_range.
struct polygon {
    /// The vertices, in order.
    std::vector<point> points;
    /// Whether both have the same vertices in the same order.
    friend bool operator==(const polygon&, const polygon&) = default;
};

/// A circle, text "<(x,y),r>". The radius is not negative (NaN is allowed, as on the server):
/// the codecs refuse a negative one with value_out_of_range.
struct circle {
    /// The centre.
    point center;
    /// The radius.
    double radius = 0;
    /// Whether both have the same centre and radius.
    friend bool operator==(const circle&, const circle&) = default;
};

} // namespace pgasio::protocol

namespace pgasio::protocol::types {

namespace detail {

/// The codec of a geometric type T (server type Type) whose members are defined in
/// types_geometric.cpp. Binary forms are the server's *_send output: float8 coordinates,
/// big-endian, preceded for path by a closed flag byte (0 or 1) and an int32 point count, for
/// polygon by the int32 point count. Text forms are what the server's *_out functions write (each
/// coordinate as float8's text: shortest exact digits, "NaN", "Infinity", "-Infinity"), and the
/// text decoders read every input form the server's *_in functions accept (box "1,2,3,4",
/// "((1,2),(3,4))", a line as two points "[(0,0),(1,1)]", ...).
///
/// Decoding errors: type_mismatch (another server type), invalid_binary_length (a size or a
/// point count that does not match the bytes, a negative count), value_out_of_range (a value the
/// server refuses: a line whose a and b are both zero, a negative radius, a path or polygon of
/// no points, a path flag other than 0 and 1, a coordinate beyond float8 in text),
/// invalid_text_value (text syntax). Encoding errors: value_out_of_range, for the same values.
template <class T, oid Type, oid ArrayType>
struct geometric_codec {
    /// The type a parameter of this C++ type is sent as.
    static constexpr oid type_oid = Type;
    /// The array type whose elements are this type.
    static constexpr oid array_oid = ArrayType;
    /// Whether values of server type `t` decode into this type.
    static constexpr bool accepts(oid t) noexcept { return t == Type; }
    /// Appends the binary form of `v`.
    static boost::system::error_code encode_binary(write_buffer& out, const T& v);
    /// Decodes the binary form of a value of server type `t`.
    static boost::system::error_code decode_binary(std::span<const std::byte> in, oid t, T& out);
    /// Appends the text form of `v`.
    static boost::system::error_code encode_text(std::string& out, const T& v);
    /// Decodes the text form of a value of server type `t`.
    static boost::system::error_code decode_text(std::string_view in, oid t, T& out);
};

extern template struct geometric_codec<point, oids::point, oids::point_array>;
extern template struct geometric_codec<line, oids::line, oids::line_array>;
extern template struct geometric_codec<lseg, oids::lseg, oids::lseg_array>;
extern template struct geometric_codec<box, oids::box, oids::box_array>;
extern template struct geometric_codec<path, oids::path, oids::path_array>;
extern template struct geometric_codec<polygon, oids::polygon, oids::polygon_array>;
extern template struct geometric_codec<circle, oids::circle, oids::circle_array>;

} // namespace detail

/// `pgasio::protocol::point` <-> point: 16 bytes (x, y).
template <>
struct codec<point> : detail::geometric_codec<point, oids::point, oids::point_array> {};

/// `pgasio::protocol::line` <-> line: 24 bytes (a, b, c).
template <>
struct codec<line> : detail::geometric_codec<line, oids::line, oids::line_array> {};

/// `pgasio::protocol::lseg` <-> lseg: 32 bytes (start, end).
template <>
struct codec<lseg> : detail::geometric_codec<lseg, oids::lseg, oids::lseg_array> {};

/// `pgasio::protocol::box` <-> box: 32 bytes (high, low). Arrays of boxes are written with ';'
/// between the elements in text (box's typdelim), since a box's own text holds a comma.
template <>
struct codec<box> : detail::geometric_codec<box, oids::box, oids::box_array> {
    /// box's typdelim: the character between the elements of box arrays in text.
    static constexpr char array_delimiter = ';';
};

/// `pgasio::protocol::path` <-> path: closed flag, point count, points.
template <>
struct codec<path> : detail::geometric_codec<path, oids::path, oids::path_array> {};

/// `pgasio::protocol::polygon` <-> polygon: point count, points (the server's bounding box is
/// not sent: it recomputes it).
template <>
struct codec<polygon> : detail::geometric_codec<polygon, oids::polygon, oids::polygon_array> {};

/// `pgasio::protocol::circle` <-> circle: 24 bytes (centre x, centre y, radius).
template <>
struct codec<circle> : detail::geometric_codec<circle, oids::circle, oids::circle_array> {};

} // namespace pgasio::protocol::types
