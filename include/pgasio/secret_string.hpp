// A string that holds a secret (a password) and refuses to show it.
#pragma once

#include <fmt/format.h> // formatter<string_view>::format, which the formatter below uses

#include <cstddef>
#include <iosfwd>
#include <memory>
#include <string_view>

namespace pgasio {

/// Holds a secret such as a password: it never prints, never converts to a string by itself, and
/// overwrites its bytes (OPENSSL_cleanse, which the compiler may not optimise away) when it is
/// destroyed, cleared or assigned a new value.
///
/// The bytes live in a buffer of exactly their size that is never grown in place, so no stale copy
/// is left behind by a reallocation. A copy owns its own buffer; a moved-from secret_string is
/// empty (its buffer went to the target). What this cannot do is wipe the copies that the caller
/// made before handing the secret over (the `std::string` it was read into, for instance).
///
/// Printing, with `operator<<` or `fmt::format("{}", s)`, always writes `<redacted>`, whether the
/// secret is empty or not, so that logs reveal nothing about it. The authentication code reads the
/// secret with reveal().
///
/// \code
/// pgasio::secret_string pw{"hunter2"};
/// fmt::print("{}\n", pw);           // <redacted>
/// use_password(pw.reveal());       // "hunter2"
/// \endcode
class secret_string {
public:
    /// An empty secret.
    secret_string() noexcept = default;
    /// Copies `value` into a buffer of its exact size.
    explicit secret_string(std::string_view value);
    /// Copies the other secret into a buffer of its own.
    secret_string(const secret_string& other);
    /// Takes the other secret's buffer; `other` becomes empty.
    secret_string(secret_string&& other) noexcept;
    /// Wipes the current value, then copies `other`'s.
    secret_string& operator=(const secret_string& other);
    /// Wipes the current value, then takes `other`'s buffer; `other` becomes empty.
    secret_string& operator=(secret_string&& other) noexcept;
    /// Wipes the value.
    ~secret_string();

    /// Wipes the current value and stores a copy of `value`.
    void assign(std::string_view value);
    /// Wipes the value and leaves the secret empty.
    void clear() noexcept;

    /// The secret itself, for the code that must send or hash it. The view is valid until the
    /// secret_string is modified or destroyed; don't keep it, and don't log it.
    [[nodiscard]] std::string_view reveal() const noexcept { return {data_.get(), size_}; }
    /// True when no secret is held.
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

    /// Compares two secrets; the time taken depends on the lengths, not on where they differ.
    friend bool operator==(const secret_string& a, const secret_string& b) noexcept;

private:
    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0;
};

/// Writes `<redacted>`, never the secret.
std::ostream& operator<<(std::ostream& os, const secret_string& s);

/// What a secret_string prints as.
inline constexpr std::string_view redacted_text = "<redacted>";

} // namespace pgasio

/// Formats a secret_string as `<redacted>` (string format specifications such as width apply).
template <>
struct fmt::formatter<pgasio::secret_string> : fmt::formatter<std::string_view> {
    template <typename FormatContext>
    auto format(const pgasio::secret_string&, FormatContext& ctx) const -> decltype(ctx.out()) {
        return fmt::formatter<std::string_view>::format(pgasio::redacted_text, ctx);
    }
};
