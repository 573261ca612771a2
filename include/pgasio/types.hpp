// The value types a user names, as pgasio::uuid, pgasio::numeric, pgasio::interval, ...
#pragma once

#include <pgasio/protocol/types/types.hpp>

/// The value types PostgreSQL's built-in types map to, under the names users write.
///
/// They are defined in pgasio::protocol (the sans-io codec, which has their codecs in
/// pgasio::protocol::types); these using-declarations make them the same types under shorter
/// names, so pgasio::numeric and pgasio::protocol::numeric are interchangeable. The standard
/// types that PostgreSQL types map to (bool, std::int32_t, std::string, std::chrono::sys_days,
/// ...) need no alias; pgasio/protocol/types/types.hpp lists every mapping.
///
/// @code
/// for (auto row : rows) {
///     pgasio::uuid id = row.get<pgasio::uuid>("id");
///     pgasio::numeric balance = row.get<pgasio::numeric>("balance");
///     std::optional<pgasio::interval> grace = row.try_get<pgasio::interval>("grace");
/// }
/// @endcode
namespace pgasio {

using protocol::uuid; ///< uuid

using protocol::numeric; ///< numeric

using protocol::basic_timestamp; ///< timestamp and timestamptz over their whole range
using protocol::interval;        ///< interval
using protocol::time_of_day;     ///< time
using protocol::time_of_day_tz;  ///< timetz
using protocol::timestamp;       ///< timestamp over its whole range
using protocol::timestamptz;     ///< timestamptz over its whole range

using protocol::json;     ///< json
using protocol::jsonb;    ///< jsonb
using protocol::jsonpath; ///< jsonpath
using protocol::xml;      ///< xml

using protocol::ts_lexeme;    ///< a lexeme of a tsvector and its positions
using protocol::ts_operator;  ///< the operators of a tsquery
using protocol::ts_position;  ///< a position of a lexeme in a tsvector
using protocol::ts_weight;    ///< the weight of a tsvector position or a tsquery operand
using protocol::tsquery;      ///< tsquery
using protocol::tsquery_item; ///< a node of a tsquery
using protocol::tsvector;     ///< tsvector

using protocol::box;     ///< box
using protocol::circle;  ///< circle
using protocol::line;    ///< line
using protocol::lseg;    ///< lseg
using protocol::path;    ///< path
using protocol::point;   ///< point
using protocol::polygon; ///< polygon

using protocol::cidr;      ///< cidr
using protocol::inet;      ///< inet
using protocol::ip_family; ///< the address family of inet and cidr
using protocol::macaddr;   ///< macaddr
using protocol::macaddr8;  ///< macaddr8

using protocol::bit_string;  ///< bit, bit varying
using protocol::cid;         ///< cid
using protocol::int2vector;  ///< int2vector
using protocol::money;       ///< money
using protocol::oidvector;   ///< oidvector
using protocol::pg_snapshot; ///< pg_snapshot, txid_snapshot
using protocol::tid;         ///< tid
using protocol::xid;         ///< xid
using protocol::xid8;        ///< xid8

using protocol::array;           ///< arrays of any shape
using protocol::array_dimension; ///< one dimension of an array: its length and lower bound
using protocol::multirange;      ///< int4multirange, int8multirange and the other multiranges
using protocol::range;           ///< int4range, int8range and the other range types

} // namespace pgasio
