// Text forms of xid, xid8 and cid.
#include <pgasio/protocol/types/detail/text.hpp>
#include <pgasio/protocol/types/transaction_ids.hpp>

#include <charconv>

namespace pgasio::protocol::types::detail {

boost::system::error_code parse_unsigned(std::string_view in, std::uint64_t max,
                                         std::uint64_t& out) noexcept {
    in = trim_space(in);
    if (in.empty()) return client_errc::invalid_text_value;
    for (char c : in)
        if (c < '0' || c > '9') return client_errc::invalid_text_value;
    std::uint64_t v = 0;
    const auto res = std::from_chars(in.data(), in.data() + in.size(), v);
    if (res.ec == std::errc::result_out_of_range || v > max) return client_errc::value_out_of_range;
    out = v;
    return {};
}

void append_unsigned(std::string& out, std::uint64_t v) {
    char buf[24];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
}

} // namespace pgasio::protocol::types::detail
