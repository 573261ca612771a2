// The array wire formats: binary header and element framing, text syntax.
#include <pgasio/protocol/types/detail/array_format.hpp>
#include <pgasio/protocol/types/detail/text.hpp>

#include <charconv>
#include <limits>

namespace pgasio::protocol::types::detail {
namespace {

constexpr std::int64_t int32_max = std::numeric_limits<std::int32_t>::max();

bool bounds_fit(std::int64_t lower_bound, std::int64_t length) noexcept {
    return lower_bound + length <= int32_max;
}

// Parses the text of an array: a recursive descent over the braces, at most 6 levels deep.
class text_array_parser {
public:
    text_array_parser(std::string_view in, text_array& out, char delimiter) noexcept
        : s_(in)
        , out_(out)
        , delimiter_(delimiter) {}

    boost::system::error_code parse() {
        skip_space();
        std::vector<array_dimension> declared;
        if (auto ec = parse_decoration(declared)) return ec;
        if (!eat('{')) return client_errc::invalid_text_value;
        skip_space();
        if (eat('}')) {
            // "{}": the empty array, which has no dimensions; decoration cannot describe it.
            skip_space();
            if (i_ != s_.size()) return client_errc::invalid_text_value;
            if (!declared.empty()) return client_errc::invalid_array;
            return {};
        }
        if (auto ec = parse_level(0)) return ec;
        skip_space();
        if (i_ != s_.size()) return client_errc::invalid_text_value;
        out_.dims.resize(ndim_);
        for (std::size_t d = 0; d < ndim_; ++d)
            out_.dims[d] = {lengths_[d], 1};
        if (!declared.empty()) {
            if (declared.size() != ndim_) return client_errc::invalid_array;
            for (std::size_t d = 0; d < ndim_; ++d)
                if (declared[d].length != lengths_[d]) return client_errc::invalid_array;
            out_.dims = std::move(declared);
        }
        return {};
    }

private:
    bool at_end() const noexcept { return i_ >= s_.size(); }
    bool eat(char c) noexcept {
        if (at_end() || s_[i_] != c) return false;
        ++i_;
        return true;
    }
    void skip_space() noexcept {
        while (!at_end() && is_space(s_[i_]))
            ++i_;
    }

    bool parse_bound(std::int32_t& v) noexcept {
        skip_space();
        std::size_t start = i_;
        if (!at_end() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
        while (!at_end() && s_[i_] >= '0' && s_[i_] <= '9')
            ++i_;
        std::int64_t n = 0;
        if (parse_integer(s_.substr(start, i_ - start), std::numeric_limits<std::int32_t>::min(),
                          int32_max, n))
            return false;
        v = static_cast<std::int32_t>(n);
        skip_space();
        return true;
    }

    // "[lb:ub][ub]...=": the declared dimensions, lower bound 1 when only the upper is given.
    boost::system::error_code parse_decoration(std::vector<array_dimension>& dims) {
        while (eat('[')) {
            if (dims.size() == max_array_dimensions) return client_errc::invalid_array;
            std::int32_t lower = 1, upper = 0;
            if (!parse_bound(upper)) return client_errc::invalid_text_value;
            if (eat(':')) {
                lower = upper;
                if (!parse_bound(upper)) return client_errc::invalid_text_value;
            }
            if (!eat(']')) return client_errc::invalid_text_value;
            if (upper < lower) return client_errc::invalid_array;
            const std::int64_t length = std::int64_t{upper} - lower + 1;
            if (length > int32_max || !bounds_fit(lower, length)) return client_errc::invalid_array;
            dims.push_back({static_cast<std::int32_t>(length), lower});
            skip_space();
        }
        if (!dims.empty()) {
            if (!eat('=')) return client_errc::invalid_text_value;
            skip_space();
        }
        return {};
    }

    // After a '{' at nesting `depth` (0 = outermost): the elements or sub-arrays and the '}'.
    boost::system::error_code parse_level(std::size_t depth) {
        std::int64_t count = 0;
        while (true) {
            skip_space();
            if (eat('{')) {
                // A sub-array: deeper than any scalar seen so far, and at most 6 levels.
                if (ndim_ != 0 && depth + 1 >= ndim_) return client_errc::invalid_text_value;
                if (depth + 1 >= max_array_dimensions) return client_errc::invalid_array;
                if (auto ec = parse_level(depth + 1)) return ec;
            } else {
                // A scalar: every scalar sits at the same, deepest level.
                if (ndim_ == 0) ndim_ = depth + 1;
                if (depth + 1 != ndim_) return client_errc::invalid_text_value;
                if (auto ec = parse_element()) return ec;
            }
            ++count;
            skip_space();
            if (eat(delimiter_)) continue;
            if (eat('}')) break;
            return client_errc::invalid_text_value;
        }
        if (count > int32_max) return client_errc::invalid_array;
        if (lengths_[depth] == 0)
            lengths_[depth] = static_cast<std::int32_t>(count);
        else if (lengths_[depth] != count)
            return client_errc::invalid_array; // sub-arrays must have matching dimensions
        return {};
    }

    // One element, quoted or not; white space around it is not part of it.
    boost::system::error_code parse_element() {
        std::string v;
        if (eat('"')) {
            while (true) {
                if (at_end()) return client_errc::invalid_text_value;
                const char c = s_[i_++];
                if (c == '"') break;
                if (c == '\\') {
                    if (at_end()) return client_errc::invalid_text_value;
                    v += s_[i_++];
                } else {
                    v += c;
                }
            }
            out_.elements.emplace_back(std::move(v));
            return {};
        }
        bool escaped = false;
        std::size_t keep = 0; // length without trailing (unescaped) white space
        while (!at_end()) {
            const char c = s_[i_];
            if (c == delimiter_ || c == '}') break;
            if (c == '{' || c == '"') return client_errc::invalid_text_value;
            ++i_;
            if (c == '\\') {
                if (at_end()) return client_errc::invalid_text_value;
                v += s_[i_++];
                escaped = true;
                keep = v.size();
            } else {
                v += c;
                if (!is_space(c)) keep = v.size();
            }
        }
        v.resize(keep);
        if (v.empty() && !escaped) return client_errc::invalid_text_value; // "{a,,b}"
        if (!escaped && iequals(v, "NULL"))
            out_.elements.emplace_back(std::nullopt);
        else
            out_.elements.emplace_back(std::move(v));
        return {};
    }

    std::string_view s_;
    text_array& out_;
    char delimiter_;
    std::size_t i_ = 0;
    std::size_t ndim_ = 0;
    std::int32_t lengths_[max_array_dimensions] = {};
};

// array_out's rule: the delimiter quotes an element, a comma only when it is the delimiter.
bool needs_quotes(std::string_view s, char delimiter) noexcept {
    if (s.empty() || iequals(s, "NULL")) return true;
    for (char c : s)
        if (c == '"' || c == '\\' || c == '{' || c == '}' || c == delimiter || is_space(c))
            return true;
    return false;
}

void append_element(std::string& out, const std::optional<std::string>& e, char delimiter) {
    if (!e) {
        out += "NULL";
        return;
    }
    if (!needs_quotes(*e, delimiter)) {
        out += *e;
        return;
    }
    out += '"';
    for (char c : *e) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
}

void append_level(std::string& out, std::span<const array_dimension> dims,
                  std::span<const std::optional<std::string>> elements, char delimiter,
                  std::size_t depth, std::size_t& next) {
    out += '{';
    for (std::int32_t i = 0; i < dims[depth].length; ++i) {
        if (i != 0) out += delimiter;
        if (depth + 1 == dims.size())
            append_element(out, elements[next++], delimiter);
        else
            append_level(out, dims, elements, delimiter, depth + 1, next);
    }
    out += '}';
}

} // namespace

boost::system::error_code read_array_header(protocol::detail::byte_reader& r,
                                            binary_array_header& out) noexcept {
    const std::int32_t ndim = r.i32();
    const std::int32_t has_null = r.i32();
    out.element_type = r.u32();
    if (r.error()) return client_errc::invalid_array;
    if (ndim < 0 || static_cast<std::size_t>(ndim) > max_array_dimensions)
        return client_errc::invalid_array;
    if (has_null != 0 && has_null != 1) return client_errc::invalid_array;
    array_dimension dims[max_array_dimensions];
    bool any_empty = ndim == 0;
    for (std::int32_t d = 0; d < ndim; ++d) {
        dims[d].length = r.i32();
        dims[d].lower_bound = r.i32();
        if (r.error()) return client_errc::invalid_array;
        if (dims[d].length < 0 || !bounds_fit(dims[d].lower_bound, dims[d].length))
            return client_errc::invalid_array;
        any_empty = any_empty || dims[d].length == 0;
    }
    out.dims.clear();
    out.count = 0;
    if (any_empty) return {};
    // Every element takes at least its 4-byte length: a count the bytes cannot hold is a lie,
    // found before the product can overflow and before anything is reserved for it.
    const std::size_t cap = r.remaining() / 4;
    std::size_t count = 1;
    for (std::int32_t d = 0; d < ndim; ++d) {
        const auto length = static_cast<std::size_t>(dims[d].length);
        if (count > cap / length) return client_errc::invalid_array;
        count *= length;
    }
    out.dims.assign(dims, dims + ndim);
    out.count = count;
    return {};
}

boost::system::error_code
read_array_element(protocol::detail::byte_reader& r,
                   std::optional<std::span<const std::byte>>& out) noexcept {
    const std::int32_t length = r.i32();
    if (r.error() || length < -1) return client_errc::invalid_array;
    if (length == -1) {
        out.reset();
        return {};
    }
    out = r.bytes(static_cast<std::size_t>(length));
    if (r.error()) return client_errc::invalid_array;
    return {};
}

boost::system::error_code check_array_shape(std::span<const array_dimension> dims,
                                            std::size_t count) noexcept {
    if (dims.size() > max_array_dimensions) return client_errc::invalid_array;
    if (dims.empty()) return count == 0 ? boost::system::error_code{} : client_errc::invalid_array;
    std::size_t product = 1;
    for (const auto& d : dims) {
        if (d.length < 0 || !bounds_fit(d.lower_bound, d.length)) return client_errc::invalid_array;
        const auto length = static_cast<std::size_t>(d.length);
        // product <= count holds before each step (else we have failed), so no overflow
        if (length != 0 && product > count / length) return client_errc::invalid_array;
        product *= length;
    }
    if (product != count) return client_errc::invalid_array;
    return {};
}

void write_array_header(write_buffer& out, std::span<const array_dimension> dims, bool has_null,
                        oid element_type, std::size_t count) {
    if (count == 0) dims = {};
    out.put_i32(static_cast<std::int32_t>(dims.size()));
    out.put_i32(has_null ? 1 : 0);
    out.put_u32(element_type);
    for (const auto& d : dims) {
        out.put_i32(d.length);
        out.put_i32(d.lower_bound);
    }
}

boost::system::error_code parse_text_array(std::string_view in, text_array& out, char delimiter) {
    out.dims.clear();
    out.elements.clear();
    return text_array_parser(in, out, delimiter).parse();
}

void append_text_array(std::string& out, std::span<const array_dimension> dims,
                       std::span<const std::optional<std::string>> elements, char delimiter) {
    if (elements.empty()) {
        out += "{}";
        return;
    }
    bool default_bounds = true;
    for (const auto& d : dims)
        default_bounds = default_bounds && d.lower_bound == 1;
    if (!default_bounds) {
        for (const auto& d : dims) {
            out += '[';
            append_integer(out, d.lower_bound);
            out += ':';
            append_integer(out, std::int64_t{d.lower_bound} + d.length - 1);
            out += ']';
        }
        out += '=';
    }
    std::size_t next = 0;
    append_level(out, dims, elements, delimiter, 0, next);
}

} // namespace pgasio::protocol::types::detail
