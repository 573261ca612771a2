// The type bytes of the messages a PostgreSQL server sends.
#pragma once

namespace pgasio::protocol {

/// The first byte of every backend message (protocol 3.0 and 3.2).
enum class backend_message_type : char {
    authentication = 'R',
    backend_key_data = 'K',
    bind_complete = '2',
    close_complete = '3',
    command_complete = 'C',
    copy_data = 'd',
    copy_done = 'c',
    copy_in_response = 'G',
    copy_out_response = 'H',
    copy_both_response = 'W',
    data_row = 'D',
    empty_query_response = 'I',
    error_response = 'E',
    negotiate_protocol_version = 'v',
    no_data = 'n',
    notice_response = 'N',
    notification_response = 'A',
    parameter_description = 't',
    parameter_status = 'S',
    parse_complete = '1',
    portal_suspended = 's',
    ready_for_query = 'Z',
    row_description = 'T',
};

/// True when `c` is the type byte of a backend message pgasio knows. FunctionCallResponse ('V')
/// is deliberately absent: pgasio never sends FunctionCall, so the server never answers one.
constexpr bool is_backend_message_type(char c) noexcept {
    switch (static_cast<backend_message_type>(c)) {
    case backend_message_type::authentication:
    case backend_message_type::backend_key_data:
    case backend_message_type::bind_complete:
    case backend_message_type::close_complete:
    case backend_message_type::command_complete:
    case backend_message_type::copy_data:
    case backend_message_type::copy_done:
    case backend_message_type::copy_in_response:
    case backend_message_type::copy_out_response:
    case backend_message_type::copy_both_response:
    case backend_message_type::data_row:
    case backend_message_type::empty_query_response:
    case backend_message_type::error_response:
    case backend_message_type::negotiate_protocol_version:
    case backend_message_type::no_data:
    case backend_message_type::notice_response:
    case backend_message_type::notification_response:
    case backend_message_type::parameter_description:
    case backend_message_type::parameter_status:
    case backend_message_type::parse_complete:
    case backend_message_type::portal_suspended:
    case backend_message_type::ready_for_query:
    case backend_message_type::row_description:
        return true;
    }
    return false;
}

/// The protocol documentation's name of a message type ("RowDescription"), for messages and
/// logs; "unknown" for a type byte pgasio does not know.
constexpr const char* backend_message_name(backend_message_type type) noexcept {
    switch (type) {
    case backend_message_type::authentication:
        return "Authentication";
    case backend_message_type::backend_key_data:
        return "BackendKeyData";
    case backend_message_type::bind_complete:
        return "BindComplete";
    case backend_message_type::close_complete:
        return "CloseComplete";
    case backend_message_type::command_complete:
        return "CommandComplete";
    case backend_message_type::copy_data:
        return "CopyData";
    case backend_message_type::copy_done:
        return "CopyDone";
    case backend_message_type::copy_in_response:
        return "CopyInResponse";
    case backend_message_type::copy_out_response:
        return "CopyOutResponse";
    case backend_message_type::copy_both_response:
        return "CopyBothResponse";
    case backend_message_type::data_row:
        return "DataRow";
    case backend_message_type::empty_query_response:
        return "EmptyQueryResponse";
    case backend_message_type::error_response:
        return "ErrorResponse";
    case backend_message_type::negotiate_protocol_version:
        return "NegotiateProtocolVersion";
    case backend_message_type::no_data:
        return "NoData";
    case backend_message_type::notice_response:
        return "NoticeResponse";
    case backend_message_type::notification_response:
        return "NotificationResponse";
    case backend_message_type::parameter_description:
        return "ParameterDescription";
    case backend_message_type::parameter_status:
        return "ParameterStatus";
    case backend_message_type::parse_complete:
        return "ParseComplete";
    case backend_message_type::portal_suspended:
        return "PortalSuspended";
    case backend_message_type::ready_for_query:
        return "ReadyForQuery";
    case backend_message_type::row_description:
        return "RowDescription";
    }
    return "unknown";
}

} // namespace pgasio::protocol
