// Decoders for every message a PostgreSQL server sends (protocol 3.0 and 3.2).
#pragma once

#include <pgasio/protocol/detail/big_endian.hpp>
#include <pgasio/protocol/error.hpp>
#include <pgasio/protocol/format_code.hpp>
#include <pgasio/protocol/framer.hpp>

#include <boost/system/result.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>

/// Each decoder takes a message body (message_view::body) and either returns a view of it, having
/// checked every length, count and terminator, or an error_code naming what was malformed. The
/// views point into the body: they are valid as long as the bytes the framer handed out (until
/// its next prepare() or next()). Iterating a view that decoded successfully cannot fail.
namespace pgasio::protocol {

// ---------------------------------------------------------------------------------------------
// Authentication

/// The request codes of Authentication messages.
enum class auth_kind : std::int32_t {
    ok = 0,
    kerberos_v5 = 2,
    cleartext_password = 3,
    md5_password = 5,
    scm_credential = 6,
    gss = 7,
    gss_continue = 8,
    sspi = 9,
    sasl = 10,
    sasl_continue = 11,
    sasl_final = 12,
};

/// The method's name for error messages ("SCRAM", "GSSAPI", "SSPI", ...).
std::string_view auth_kind_name(auth_kind kind) noexcept;

/// The NUL-terminated mechanism names of AuthenticationSASL, e.g. "SCRAM-SHA-256-PLUS".
class sasl_mechanisms_view {
public:
    class iterator;
    sasl_mechanisms_view() = default;
    /// A view of the validated list `list`, as decode_authentication makes it.
    explicit sasl_mechanisms_view(std::span<const std::byte> list) noexcept
        : list_(list) {}
    /// The first element.
    iterator begin() const noexcept;
    /// Past the last element.
    iterator end() const noexcept;
    /// True when `name` is in the list.
    bool contains(std::string_view name) const noexcept;

private:
    std::span<const std::byte> list_; // validated: NUL-terminated names, then one more NUL
};

/// An Authentication message. `md5_salt` is set for md5_password; `sasl_mechanisms` for sasl;
/// `sasl_data` for sasl_continue, sasl_final and gss_continue.
struct authentication_view {
    /// What the server asks for.
    auth_kind kind;
    /// The salt of an MD5 password request.
    std::array<std::byte, 4> md5_salt{};
    /// The mechanisms a SASL request offers.
    sasl_mechanisms_view sasl_mechanisms;
    /// The data of a SASL continuation or final message (or GSS continuation).
    std::span<const std::byte> sasl_data;
};
/// Errors: truncated_message, trailing_bytes, missing_terminator, invalid_field_value (an
/// unknown request code, or an empty SASL mechanism list).
boost::system::result<authentication_view>
decode_authentication(std::span<const std::byte> body) noexcept;

// ---------------------------------------------------------------------------------------------
// Session state

/// BackendKeyData: what a CancelRequest must quote. The key is 4 bytes in protocol 3.0 and up to
/// 256 in 3.2. Errors: truncated_message, invalid_field_value (key length outside 4..256).
struct backend_key_data_view {
    /// The server process of the session.
    std::int32_t process_id;
    /// The key a CancelRequest must quote.
    std::span<const std::byte> secret_key;
};
/// Decodes BackendKeyData.
boost::system::result<backend_key_data_view>
decode_backend_key_data(std::span<const std::byte> body) noexcept;

/// ParameterStatus: a run-time parameter the server reports (server_version, TimeZone, ...).
struct parameter_status_view {
    /// The parameter's name.
    std::string_view name;
    /// Its current value.
    std::string_view value;
};
/// Decodes ParameterStatus.
boost::system::result<parameter_status_view>
decode_parameter_status(std::span<const std::byte> body) noexcept;

/// The transaction status carried by ReadyForQuery.
enum class transaction_status : char {
    idle = 'I',           ///< not in a transaction block
    in_transaction = 'T', ///< in a transaction block
    failed = 'E',         ///< in a failed transaction block: queries are refused until ROLLBACK
};
/// ReadyForQuery. Errors: invalid_field_value for a status byte other than I, T, E.
boost::system::result<transaction_status>
decode_ready_for_query(std::span<const std::byte> body) noexcept;

/// NegotiateProtocolVersion: the newest minor version the server supports and the protocol
/// extension options (\c _pq_.*) it did not recognise.
struct negotiate_protocol_version_view {
    /// The newest minor protocol version the server supports.
    std::int32_t newest_minor_version;
    /// How many of the options asked for the server did not recognise.
    std::int32_t unrecognized_option_count;
    /// Their names, NUL-terminated, validated.
    std::span<const std::byte> unrecognized_options; // validated NUL-terminated names
};
/// Decodes NegotiateProtocolVersion.
boost::system::result<negotiate_protocol_version_view>
decode_negotiate_protocol_version(std::span<const std::byte> body) noexcept;

// ---------------------------------------------------------------------------------------------
// Query results

/// One column of a RowDescription.
struct column_description {
    /// The column's label.
    std::string_view name;
    oid table_oid;              ///< 0 when the column is not a table column
    std::int16_t column_number; ///< attribute number in that table, or 0
    /// The type of its values.
    oid type_oid;
    std::int16_t type_size;     ///< pg_type.typlen: negative for variable width
    std::int32_t type_modifier; ///< pg_attribute.atttypmod: e.g. varchar length + 4, or -1
    /// Whether its values come as text or binary.
    format_code format;
};

/// RowDescription: the columns of the rows that follow.
class row_description_view {
public:
    class iterator;
    row_description_view() = default;
    /// A view of `count` validated column descriptions, as decode_row_description makes it.
    row_description_view(std::uint16_t count, std::span<const std::byte> fields) noexcept
        : count_(count)
        , fields_(fields) {}
    /// The number of elements.
    std::size_t size() const noexcept { return count_; }
    /// The first element.
    iterator begin() const noexcept;
    /// Past the last element.
    iterator end() const noexcept;

private:
    std::uint16_t count_ = 0;
    std::span<const std::byte> fields_; // validated
};
/// Errors: truncated_message, missing_terminator, trailing_bytes, invalid_field_value (negative
/// count, format other than 0 or 1).
boost::system::result<row_description_view>
decode_row_description(std::span<const std::byte> body) noexcept;

/// DataRow: the values of one row; each is NULL (nullopt) or a view of its bytes.
class data_row_view {
public:
    class iterator;
    data_row_view() = default;
    /// A view of `count` validated values, as decode_data_row makes it.
    data_row_view(std::uint16_t count, std::span<const std::byte> values) noexcept
        : count_(count)
        , values_(values) {}
    /// The number of elements.
    std::size_t size() const noexcept { return count_; }
    /// The first element.
    iterator begin() const noexcept;
    /// Past the last element.
    iterator end() const noexcept;

private:
    std::uint16_t count_ = 0;
    std::span<const std::byte> values_; // validated
};
/// Errors: truncated_message, trailing_bytes, invalid_field_value (negative count, a length
/// below -1).
boost::system::result<data_row_view> decode_data_row(std::span<const std::byte> body) noexcept;

/// Validates a DataRow body in one pass, calling `on_count(count)` first — it returns an
/// error_code that stops the walk — and then `on_value(value)` for each value in order
/// (std::optional<std::span<const std::byte>>, nullopt for NULL; a view into `body`). Errors are
/// decode_data_row's or on_count's; on an error some values may already have been visited. For
/// callers that copy the values anyway (a result buffer), this saves decode_data_row's separate
/// validation walk.
template <class OnCount, class OnValue>
boost::system::error_code visit_data_row(std::span<const std::byte> body, OnCount&& on_count,
                                         OnValue&& on_value);

/// CommandComplete's tag, e.g. "INSERT 0 5", "UPDATE 3", "SELECT 7", "CREATE TABLE".
struct command_complete_view {
    /// The command tag, as the server sent it.
    std::string_view tag;
    /// The command word(s) without the counts ("INSERT", "CREATE TABLE").
    std::string_view command() const noexcept;
    /// The number of rows affected or returned, for INSERT, UPDATE, DELETE, SELECT, MERGE, COPY,
    /// FETCH and MOVE; nullopt for other commands (or a malformed count).
    std::optional<std::uint64_t> rows() const noexcept;
};
/// Decodes CommandComplete.
boost::system::result<command_complete_view>
decode_command_complete(std::span<const std::byte> body) noexcept;

/// ParameterDescription: the parameter types of a prepared statement.
class parameter_description_view {
public:
    parameter_description_view() = default;
    /// A view of `count` validated type OIDs, as decode_parameter_description makes it.
    parameter_description_view(std::uint16_t count, std::span<const std::byte> oids) noexcept
        : count_(count)
        , oids_(oids) {}
    /// The number of elements.
    std::size_t size() const noexcept { return count_; }
    /// The type of parameter `i` (0-based, i < size()).
    oid operator[](std::size_t i) const noexcept;

private:
    std::uint16_t count_ = 0;
    std::span<const std::byte> oids_; // validated: 4 * count bytes
};
/// Decodes ParameterDescription.
boost::system::result<parameter_description_view>
decode_parameter_description(std::span<const std::byte> body) noexcept;

// ---------------------------------------------------------------------------------------------
// Errors, notices, notifications

/// The fields of ErrorResponse and NoticeResponse: pairs of a field code ('S', 'V', 'C', 'M',
/// 'D', 'H', 'P', ...) and its text. Unknown codes are kept: the protocol says clients must
/// ignore them, which diagnostics does.
class error_fields_view {
public:
    /// One field: its code and its text.
    struct field {
        /// The field's code ('S', 'C', 'M', ...).
        char code;
        /// The field's text.
        std::string_view value;
    };
    class iterator;
    error_fields_view() = default;
    /// A view of the validated fields `fields`, as decode_error_fields makes it.
    explicit error_fields_view(std::span<const std::byte> fields) noexcept
        : fields_(fields) {}
    /// The first element.
    iterator begin() const noexcept;
    /// Past the last element.
    iterator end() const noexcept;
    /// The value of the first field with `code`, or nullopt.
    std::optional<std::string_view> find(char code) const noexcept;

private:
    std::span<const std::byte> fields_; // validated: code, cstring, ..., 0
};
/// Errors: truncated_message, missing_terminator, trailing_bytes.
boost::system::result<error_fields_view>
decode_error_fields(std::span<const std::byte> body) noexcept;

/// NotificationResponse: a NOTIFY delivered to a channel this session LISTENs on.
struct notification_view {
    std::int32_t process_id; ///< the notifying backend
    /// The channel NOTIFY was sent to.
    std::string_view channel;
    /// The payload.
    std::string_view payload;
};
/// Decodes NotificationResponse.
boost::system::result<notification_view>
decode_notification(std::span<const std::byte> body) noexcept;

// ---------------------------------------------------------------------------------------------
// COPY

/// CopyInResponse, CopyOutResponse and CopyBothResponse: the overall format and each column's.
/// In text format every column format is text (the server guarantees it; we check it).
struct copy_response_view {
    /// The overall format of the COPY data.
    format_code format;
    /// The number of columns.
    std::uint16_t column_count;
    /// Each column's format code (int16, 0 text or 1 binary), validated.
    std::span<const std::byte> column_formats; // validated: int16 each, 0 or 1
    /// The format of column `i` (0-based, i < column_count).
    format_code column_format(std::size_t i) const noexcept;
};
/// Decodes CopyInResponse, CopyOutResponse or CopyBothResponse.
boost::system::result<copy_response_view>
decode_copy_response(std::span<const std::byte> body) noexcept;

/// Messages without a body (ParseComplete, BindComplete, CloseComplete, NoData,
/// EmptyQueryResponse, PortalSuspended, CopyDone). Errors: invalid_message_length.
boost::system::error_code decode_empty(std::span<const std::byte> body) noexcept;

// ---------------------------------------------------------------------------------------------
// Any message

/// Tags for the messages that carry no data beyond their type.
struct parse_complete {};
struct bind_complete {};
struct close_complete {};
struct no_data {};
struct empty_query_response {};
struct portal_suspended {};
struct copy_done {};
/// The views of error and notice messages, told apart by type.
struct error_response {
    /// The error's fields.
    error_fields_view fields;
};
/// A NoticeResponse.
struct notice_response {
    /// The notice's fields.
    error_fields_view fields;
};
/// The view of CopyData: its payload.
struct copy_data {
    /// The data it carries.
    std::span<const std::byte> data;
};
/// The three Copy*Response messages, told apart by type.
struct copy_in_response {
    /// The formats of the COPY.
    copy_response_view response;
};
/// A CopyOutResponse.
struct copy_out_response {
    /// The formats of the COPY.
    copy_response_view response;
};
/// A CopyBothResponse.
struct copy_both_response {
    /// The formats of the COPY.
    copy_response_view response;
};

/// Any backend message, decoded.
using backend_message =
    std::variant<authentication_view, backend_key_data_view, parameter_status_view,
                 transaction_status, negotiate_protocol_version_view, row_description_view,
                 data_row_view, command_complete_view, parameter_description_view, error_response,
                 notice_response, notification_view, copy_in_response, copy_out_response,
                 copy_both_response, copy_data, copy_done, parse_complete, bind_complete,
                 close_complete, no_data, empty_query_response, portal_suspended>;

/// Decodes any message the framer produced, by its type. Errors: those of the decoder for the
/// type.
boost::system::result<backend_message> decode_backend_message(message_view message) noexcept;

// ---------------------------------------------------------------------------------------------
// Iterators (defined here so range-for works on the views)

namespace detail {
/// `it++` for the views' iterators, from their `++it`: the copy of `it` from before the step.
template <class Iterator>
Iterator post_increment(Iterator& it) noexcept {
    auto old = it;
    ++it;
    return old;
}
} // namespace detail

/// Iterates over the mechanism names.
class sasl_mechanisms_view::iterator {
public:
    /// The type of the elements it visits.
    using value_type = std::string_view;
    /// The distance between two iterators.
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    /// Positioned at `p`, in the bytes its view validated.
    explicit iterator(const std::byte* p) noexcept
        : p_(p) {}
    /// The current element.
    std::string_view operator*() const noexcept;
    /// Steps to the next element.
    iterator& operator++() noexcept;
    /// Steps to the next element, returning the iterator as it was.
    iterator operator++(int) noexcept { return detail::post_increment(*this); }
    /// Whether both designate the same element.
    bool operator==(const iterator&) const = default;

private:
    const std::byte* p_ = nullptr;
};

/// Iterates over the column descriptions.
class row_description_view::iterator {
public:
    /// The type of the elements it visits.
    using value_type = column_description;
    /// The distance between two iterators.
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    /// Positioned at `p`, element `index` of the bytes its view validated.
    iterator(const std::byte* p, std::size_t index) noexcept
        : p_(p)
        , index_(index) {}
    /// The current element.
    column_description operator*() const noexcept;
    /// Steps to the next element.
    iterator& operator++() noexcept;
    /// Steps to the next element, returning the iterator as it was.
    iterator operator++(int) noexcept { return detail::post_increment(*this); }
    /// Whether both designate the same element.
    bool operator==(const iterator& o) const noexcept { return index_ == o.index_; }

private:
    const std::byte* p_ = nullptr;
    std::size_t index_ = 0;
};

/// Iterates over the values: each a view of its bytes, or nullopt for NULL.
class data_row_view::iterator {
public:
    /// The type of the elements it visits.
    using value_type = std::optional<std::span<const std::byte>>;
    /// The distance between two iterators.
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    /// Positioned at `p`, element `index` of the bytes its view validated.
    iterator(const std::byte* p, std::size_t index) noexcept
        : p_(p)
        , index_(index) {}
    // Inline: a large result steps through millions of values.
    /// The current element.
    std::optional<std::span<const std::byte>> operator*() const noexcept {
        const auto length = static_cast<std::int32_t>(detail::load_big<std::uint32_t>(p_));
        if (length < 0) return std::nullopt;
        return std::span<const std::byte>(p_ + 4, static_cast<std::size_t>(length));
    }
    /// Steps to the next element.
    iterator& operator++() noexcept {
        const auto length = static_cast<std::int32_t>(detail::load_big<std::uint32_t>(p_));
        p_ += 4 + (length > 0 ? static_cast<std::size_t>(length) : 0);
        ++index_;
        return *this;
    }
    /// Steps to the next element, returning the iterator as it was.
    iterator operator++(int) noexcept { return detail::post_increment(*this); }
    /// Whether both designate the same element.
    bool operator==(const iterator& o) const noexcept { return index_ == o.index_; }

private:
    const std::byte* p_ = nullptr;
    std::size_t index_ = 0;
};

template <class OnCount, class OnValue>
boost::system::error_code visit_data_row(std::span<const std::byte> body, OnCount&& on_count,
                                         OnValue&& on_value) {
    const std::byte* p = body.data();
    const std::byte* const end = p + body.size();
    if (body.size() < 2) return client_errc::truncated_message;
    const auto count = static_cast<std::int16_t>(detail::load_big<std::uint16_t>(p));
    p += 2;
    if (count < 0) return client_errc::invalid_field_value;
    if (auto ec = on_count(static_cast<std::uint16_t>(count))) return ec;
    for (std::int16_t i = 0; i < count; ++i) {
        if (end - p < 4) return client_errc::truncated_message;
        const auto length = static_cast<std::int32_t>(detail::load_big<std::uint32_t>(p));
        p += 4;
        if (length == -1) {
            on_value(std::optional<std::span<const std::byte>>());
            continue;
        }
        if (length < 0) return client_errc::invalid_field_value;
        if (end - p < length) return client_errc::truncated_message;
        on_value(std::optional<std::span<const std::byte>>(
            std::span<const std::byte>(p, static_cast<std::size_t>(length))));
        p += length;
    }
    if (p != end) return client_errc::trailing_bytes;
    return {};
}

inline data_row_view::iterator data_row_view::begin() const noexcept {
    return {values_.data(), 0};
}
inline data_row_view::iterator data_row_view::end() const noexcept {
    return {nullptr, count_};
}

/// Iterates over the fields.
class error_fields_view::iterator {
public:
    /// The type of the elements it visits.
    using value_type = field;
    /// The distance between two iterators.
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    /// Positioned at `p`, in the bytes its view validated.
    explicit iterator(const std::byte* p) noexcept
        : p_(p) {}
    /// The current element.
    field operator*() const noexcept;
    /// Steps to the next element.
    iterator& operator++() noexcept;
    /// Steps to the next element, returning the iterator as it was.
    iterator operator++(int) noexcept { return detail::post_increment(*this); }
    /// Whether both designate the same element.
    bool operator==(const iterator&) const = default;

private:
    const std::byte* p_ = nullptr;
};

} // namespace pgasio::protocol
