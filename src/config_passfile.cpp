#include <pgasio/passfile.hpp>

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string_view>

namespace pgasio {
namespace {

// Owns the file's bytes and wipes them when done: they are mostly other passwords.
class wiped_buffer {
public:
    explicit wiped_buffer(std::size_t size)
        : data_(std::make_unique<char[]>(size))
        , size_(size) {}
    wiped_buffer(const wiped_buffer&) = delete;
    wiped_buffer& operator=(const wiped_buffer&) = delete;
    ~wiped_buffer() { OPENSSL_cleanse(data_.get(), size_); }
    char* data() noexcept { return data_.get(); }

private:
    std::unique_ptr<char[]> data_;
    std::size_t size_;
};

// libpq's pwdfMatchesString: `*` followed by ':' matches anything; otherwise the field, with
// backslash escapes removed, must equal `value`. Advances `pos` past the field's ':' on a match.
bool field_matches(std::string_view line, std::size_t& pos, std::string_view value) {
    if (line.substr(pos, 2) == "*:") {
        pos += 2;
        return true;
    }
    std::size_t i = pos;
    std::size_t matched = 0;
    while (i < line.size()) {
        char c = line[i];
        if (c == ':') {
            if (matched != value.size()) return false;
            pos = i + 1;
            return true;
        }
        if (c == '\\') {
            if (++i == line.size()) return false;
            c = line[i];
        }
        if (matched == value.size() || value[matched] != c) return false;
        ++matched;
        ++i;
    }
    return false; // fewer than five fields
}

// The password field: up to the next unescaped ':', escapes removed.
secret_string password_field(std::string_view line, std::size_t pos) {
    wiped_buffer buffer(line.size() - pos + 1);
    std::size_t n = 0;
    for (std::size_t i = pos; i < line.size() && line[i] != ':'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) ++i;
        buffer.data()[n++] = line[i];
    }
    return secret_string(std::string_view(buffer.data(), n));
}

} // namespace

password_lookup lookup_password(const config& cfg, const host_spec& host) {
    password_lookup found;
    if (!cfg.password.empty()) {
        found.password = cfg.password;
        return found;
    }
    if (cfg.passfile.empty()) return found;

    int fd = ::open(cfg.passfile.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return found; // no file: nothing to say, as in libpq
    struct closer {
        int fd;
        ~closer() { ::close(fd); }
    } close_at_exit{fd};
    // fstat on the open file, so that what is checked is what is read.
    struct stat st {};
    if (::fstat(fd, &st) != 0) return found;
    if (!S_ISREG(st.st_mode)) {
        found.warning = fmt::format("password file '{}' is not a plain file", cfg.passfile);
        return found;
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        found.warning = fmt::format("password file '{}' has group or world access; permissions "
                                    "should be u=rw (0600) or less",
                                    cfg.passfile);
        return found;
    }

    auto size = static_cast<std::size_t>(st.st_size);
    wiped_buffer buffer(size);
    std::size_t got = 0;
    while (got < size) {
        ssize_t n = ::read(fd, buffer.data() + got, size - got);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }

    std::string_view host_name = host.host.empty() ? host.hostaddr : host.host;
    if (host_name.empty() || host_name == default_unix_socket_directory) host_name = "localhost";
    std::string port = std::to_string(host.port);

    std::string_view text(buffer.data(), got);
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || line.front() == '#') continue;
        std::size_t pos = 0;
        if (field_matches(line, pos, host_name) && field_matches(line, pos, port) &&
            field_matches(line, pos, cfg.dbname) && field_matches(line, pos, cfg.user)) {
            found.password = password_field(line, pos);
            return found;
        }
    }
    return found;
}

} // namespace pgasio
