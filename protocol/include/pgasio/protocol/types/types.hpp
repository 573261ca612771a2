// Every built-in type codec in one include.
//
// How values map to C++ types:
//   bool                       boolean
//   std::int16_t               smallint
//   std::int32_t               integer (also reads smallint)
//   std::int64_t               bigint (also reads smallint, integer)
//   std::uint32_t              oid (also reads regclass, regtype and the other OID aliases)
//   xid / xid8 / cid           xid / xid8 / cid
//   money                      money (cents)
//   bit_string                 bit varying (also reads bit)
//   float / double             real / double precision (double also reads real)
//   std::string, string_view   text (also reads varchar, bpchar, name, unknown)
//   char                       "char"
//   std::vector<std::byte>, std::span<const std::byte>   bytea
//   uuid                       uuid
//   json / jsonb               json, jsonb (either reads both)
//   inet / cidr                inet (also reads cidr) / cidr
//   macaddr / macaddr8         macaddr / macaddr8
//   jsonpath                   jsonpath
//   xml                        xml
//   tsvector / tsquery         tsvector / tsquery
//   point / line / lseg / box  point / line / lseg / box
//   path / polygon / circle    path / polygon / circle
//   tid                        tid
//   int2vector / oidvector     int2vector / oidvector
//   pg_snapshot                pg_snapshot (also reads txid_snapshot)
//   std::vector<T>             one-dimensional arrays (std::optional<T> elements for NULLs)
//   array<T>                   arrays of any shape
//   range<T>                   int4range, int8range, and the ranges that range_oids<T> names
//   multirange<T>              int4multirange, int8multirange, and the multiranges that
//                              multirange_oids<T> names
//
// NULL is not a value: at the message level it is a length of -1, with no bytes. Decoders see
// only non-NULL values; whoever reads a row maps NULL to std::optional<T> (or to
// client_errc::unexpected_null when T cannot hold it). Inside arrays, where NULL is part of the
// value, std::optional<T> elements (std::vector<std::optional<T>>, array<T>) receive it.
#pragma once

#include <pgasio/protocol/types/array.hpp>
#include <pgasio/protocol/types/array_dimension.hpp>
#include <pgasio/protocol/types/bit_string.hpp>
#include <pgasio/protocol/types/boolean.hpp>
#include <pgasio/protocol/types/bytea.hpp>
#include <pgasio/protocol/types/codec.hpp>
#include <pgasio/protocol/types/floating.hpp>
#include <pgasio/protocol/types/geometric.hpp>
#include <pgasio/protocol/types/integral.hpp>
#include <pgasio/protocol/types/json.hpp>
#include <pgasio/protocol/types/jsonpath.hpp>
#include <pgasio/protocol/types/money.hpp>
#include <pgasio/protocol/types/network.hpp>
#include <pgasio/protocol/types/range.hpp>
#include <pgasio/protocol/types/string.hpp>
#include <pgasio/protocol/types/system_types.hpp>
#include <pgasio/protocol/types/text_search.hpp>
#include <pgasio/protocol/types/transaction_ids.hpp>
#include <pgasio/protocol/types/uuid.hpp>
#include <pgasio/protocol/types/view_traits.hpp>
#include <pgasio/protocol/types/xml.hpp>

// numeric and the date/time types.
#include <pgasio/protocol/types/date_time.hpp>
#include <pgasio/protocol/types/multirange.hpp>
#include <pgasio/protocol/types/numeric.hpp>
#include <pgasio/protocol/types/temporal_ranges.hpp>
