#include <pgasio/secret_string.hpp>

#include <openssl/crypto.h>

#include <algorithm>
#include <ostream>
#include <utility>

namespace pgasio {

secret_string::secret_string(std::string_view value) {
    assign(value);
}

secret_string::secret_string(const secret_string& other) {
    assign(other.reveal());
}

secret_string::secret_string(secret_string&& other) noexcept
    : data_(std::move(other.data_))
    , size_(std::exchange(other.size_, 0)) {}

secret_string& secret_string::operator=(const secret_string& other) {
    if (this != &other) assign(other.reveal());
    return *this;
}

secret_string& secret_string::operator=(secret_string&& other) noexcept {
    if (this != &other) {
        clear();
        data_ = std::move(other.data_);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

secret_string::~secret_string() {
    clear();
}

void secret_string::assign(std::string_view value) {
    // Allocate before wiping, so that a failed allocation leaves the old value intact.
    std::unique_ptr<char[]> fresh;
    if (!value.empty()) {
        fresh = std::make_unique<char[]>(value.size());
        std::copy(value.begin(), value.end(), fresh.get());
    }
    clear();
    data_ = std::move(fresh);
    size_ = value.size();
}

void secret_string::clear() noexcept {
    if (data_) OPENSSL_cleanse(data_.get(), size_);
    data_.reset();
    size_ = 0;
}

bool operator==(const secret_string& a, const secret_string& b) noexcept {
    return a.size_ == b.size_ &&
           (a.size_ == 0 || CRYPTO_memcmp(a.data_.get(), b.data_.get(), a.size_) == 0);
}

std::ostream& operator<<(std::ostream& os, const secret_string&) {
    return os << redacted_text;
}

} // namespace pgasio
