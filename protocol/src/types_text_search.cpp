// Binary and text forms of tsvector and tsquery (the server's utils/adt/tsvector.c,
// tsvector_parser.c and tsquery.c).
#include <pgasio/protocol/detail/byte_reader.hpp>
#include <pgasio/protocol/types/detail/text.hpp>
#include <pgasio/protocol/types/text_search.hpp>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <type_traits>

namespace pgasio::protocol::types::detail {
namespace {

using protocol::detail::byte_reader;
using error_code = boost::system::error_code;

// ts_type.h: MAXSTRLEN (a lexeme's bytes), MAXNUMPOS (positions of a lexeme), MAXENTRYPOS (the
// first position that does not fit), and tsquery's phrase distance limit (MAXENTRYPOS too).
constexpr std::size_t max_lexeme = (1 << 11) - 1;
constexpr std::size_t max_positions = 256;
constexpr unsigned max_entry_pos = 1 << 14;
// How deep a tsquery may nest: the text form is written and read recursively.
constexpr std::size_t max_query_depth = 4096;

// A lexeme or operand: not empty (no text form reads as one), at most MAXSTRLEN bytes.
error_code check_word(const std::string& w) noexcept {
    if (w.empty() || w.size() > max_lexeme) return client_errc::value_out_of_range;
    return check_no_nul(w);
}

// ---- tsvector ----

error_code check(const tsvector& v) noexcept {
    if (v.lexemes.size() > 0x7fffffff) return client_errc::value_out_of_range;
    for (const auto& l : v.lexemes) {
        if (auto ec = check_word(l.word)) return ec;
        if (l.positions.size() > max_positions) return client_errc::value_out_of_range;
        unsigned last = 0;
        for (const auto& p : l.positions) {
            // tsvector_recv refuses positions that do not ascend; 0 is never one.
            if (p.position == 0 || p.position >= max_entry_pos || p.position <= last ||
                static_cast<unsigned>(p.weight) > 3)
                return client_errc::value_out_of_range;
            last = p.position;
        }
    }
    return {};
}

void write(write_buffer& out, const tsvector& v) {
    out.put_i32(static_cast<std::int32_t>(v.lexemes.size()));
    for (const auto& l : v.lexemes) {
        out.put_cstring(l.word);
        out.put_u16(static_cast<std::uint16_t>(l.positions.size()));
        for (const auto& p : l.positions)
            out.put_u16(
                static_cast<std::uint16_t>((static_cast<unsigned>(p.weight) << 14) | p.position));
    }
}

error_code read(std::span<const std::byte> in, tsvector& v) {
    byte_reader r(in);
    const std::int32_t n = r.i32();
    // Every lexeme takes at least its NUL and its position count.
    if (r.error() || n < 0 || static_cast<std::size_t>(n) > r.remaining() / 3)
        return client_errc::invalid_binary_length;
    v.lexemes.clear();
    v.lexemes.reserve(static_cast<std::size_t>(n));
    for (std::int32_t i = 0; i < n; ++i) {
        ts_lexeme l;
        l.word = r.cstring();
        const std::uint16_t npos = r.u16();
        if (r.error()) return client_errc::invalid_binary_length;
        if (npos > max_positions) return client_errc::value_out_of_range;
        if (r.remaining() < 2u * npos) return client_errc::invalid_binary_length;
        l.positions.reserve(npos);
        for (std::uint16_t j = 0; j < npos; ++j) {
            const std::uint16_t p = r.u16();
            l.positions.push_back(
                {static_cast<std::uint16_t>(p & 0x3fff), static_cast<ts_weight>(p >> 14)});
        }
        v.lexemes.push_back(std::move(l));
    }
    if (!r.empty()) return client_errc::invalid_binary_length;
    return {};
}

// A lexeme or operand in single quotes, quotes and backslashes doubled (tsvectorout, infix).
void append_quoted(std::string& out, const std::string& w) {
    out += '\'';
    for (char c : w) {
        if (c == '\'' || c == '\\') out += c;
        out += c;
    }
    out += '\'';
}

void format(std::string& out, const tsvector& v) {
    for (std::size_t i = 0; i < v.lexemes.size(); ++i) {
        if (i != 0) out += ' ';
        const auto& l = v.lexemes[i];
        append_quoted(out, l.word);
        for (std::size_t j = 0; j < l.positions.size(); ++j) {
            out += j == 0 ? ':' : ',';
            append_integer(out, l.positions[j].position);
            constexpr char letters[] = "\0CBA";
            if (l.positions[j].weight != ts_weight::d)
                out += letters[static_cast<unsigned>(l.positions[j].weight)];
        }
    }
}

// The operator characters of tsquery's syntax (ISOPERATOR), which end an unquoted operand.
bool is_query_operator(char c) noexcept {
    return c == '!' || c == '&' || c == '|' || c == '(' || c == ')' || c == '<';
}

// gettoken_tsvector: one word (unquoted, with backslash escapes, or in single quotes with ''
// for a quote) and, for a tsvector (`in_query` false), its positions ":1A,2". In a query, the
// operator characters end an unquoted word and ':' is left for the modifiers. Sets `found`
// false at the end of the input. `i` is left after the token.
error_code read_word(std::string_view s, std::size_t& i, bool in_query, bool& found,
                     std::string& word, std::vector<ts_position>* positions) {
    found = false;
    word.clear();
    while (i < s.size() && is_space(s[i]))
        ++i;
    if (i == s.size()) return {};
    if (in_query && is_query_operator(s[i])) return client_errc::invalid_text_value;
    found = true;
    if (s[i] == '\'') {
        ++i;
        while (true) {
            if (i == s.size()) return client_errc::invalid_text_value;
            const char c = s[i++];
            if (c == '\\') {
                if (i == s.size()) return client_errc::invalid_text_value;
                word += s[i++];
            } else if (c == '\'') {
                if (i < s.size() && s[i] == '\'') {
                    word += '\'';
                    ++i;
                } else {
                    break;
                }
            } else {
                word += c;
            }
        }
        if (word.empty()) return client_errc::invalid_text_value;
    } else {
        // The first character is the word's whatever it is (':' included, as in WAITWORD).
        for (bool first = true; i < s.size(); first = false) {
            const char c = s[i];
            if (!first && (is_space(c) || c == ':' || (in_query && is_query_operator(c)))) break;
            ++i;
            if (c == '\\') {
                if (i == s.size()) return client_errc::invalid_text_value;
                word += s[i++];
            } else {
                word += c;
            }
        }
    }
    if (word.size() > max_lexeme) return client_errc::value_out_of_range;
    if (in_query || i == s.size() || s[i] != ':') return {};
    // Positions: numbers separated by ',', each with an optional weight letter ('*' is A).
    ++i;
    while (true) {
        if (i == s.size() || s[i] < '0' || s[i] > '9') return client_errc::invalid_text_value;
        unsigned long n = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            n = std::min<unsigned long>(n * 10 + static_cast<unsigned>(s[i] - '0'), 1u << 20);
            ++i;
        }
        if (n == 0) return client_errc::value_out_of_range;
        // LIMITPOS: positions beyond the last one are the last one.
        ts_position p{static_cast<std::uint16_t>(n >= max_entry_pos ? max_entry_pos - 1 : n),
                      ts_weight::d};
        bool weighted = false;
        while (i < s.size() && s[i] != ',' && !is_space(s[i])) {
            ts_weight w;
            switch (s[i]) {
            case 'a':
            case 'A':
            case '*':
                w = ts_weight::a;
                break;
            case 'b':
            case 'B':
                w = ts_weight::b;
                break;
            case 'c':
            case 'C':
                w = ts_weight::c;
                break;
            case 'd':
            case 'D':
                w = ts_weight::d;
                break;
            default:
                return client_errc::invalid_text_value;
            }
            if (weighted) return client_errc::invalid_text_value;
            weighted = true;
            p.weight = w;
            ++i;
        }
        positions->push_back(p);
        if (i < s.size() && s[i] == ',') {
            ++i;
            continue;
        }
        return {};
    }
}

error_code parse(std::string_view s, tsvector& v) {
    v.lexemes.clear();
    std::size_t i = 0;
    while (true) {
        ts_lexeme l;
        bool found = false;
        if (auto ec = read_word(s, i, false, found, l.word, &l.positions)) return ec;
        if (!found) return {};
        if (l.positions.size() > max_positions) return client_errc::value_out_of_range;
        v.lexemes.push_back(std::move(l));
    }
}

// ---- tsquery ----

// The server's operator priorities (tsquery_op_priorities): ! 4, <-> 3, & 2, | 1.
int priority(ts_operator op) noexcept {
    switch (op) {
    case ts_operator::not_:
        return 4;
    case ts_operator::phrase:
        return 3;
    case ts_operator::and_:
        return 2;
    case ts_operator::or_:
        return 1;
    }
    return 0;
}

bool known_operator(ts_operator op) noexcept {
    return op == ts_operator::not_ || op == ts_operator::and_ || op == ts_operator::or_ ||
           op == ts_operator::phrase;
}

// The items make one tree in prefix order (findoprnd), no deeper than max_query_depth.
error_code check_tree(const std::vector<tsquery_item>& items) noexcept {
    if (items.empty()) return {};
    // `open` holds, per pending operator, how many operands it still waits for.
    std::vector<int> open;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i != 0 && open.empty()) return client_errc::value_out_of_range; // extra nodes
        const auto& it = items[i];
        if (it.op) {
            open.push_back(*it.op == ts_operator::not_ ? 1 : 2);
            if (open.size() > max_query_depth) return client_errc::value_out_of_range;
            continue;
        }
        // An operand completes operators' operands, innermost first.
        while (!open.empty() && --open.back() == 0)
            open.pop_back();
    }
    if (!open.empty()) return client_errc::value_out_of_range; // an operand missing
    return {};
}

error_code check(const tsquery& v) noexcept {
    if (v.items.size() > 0x7fffffff) return client_errc::value_out_of_range;
    for (const auto& it : v.items) {
        if (it.op) {
            if (!known_operator(*it.op) || it.distance > max_entry_pos)
                return client_errc::value_out_of_range;
        } else {
            if (it.weights > 0xf) return client_errc::value_out_of_range;
            if (auto ec = check_word(it.operand)) return ec;
        }
    }
    return check_tree(v.items);
}

void write(write_buffer& out, const tsquery& v) {
    out.put_i32(static_cast<std::int32_t>(v.items.size()));
    for (const auto& it : v.items) {
        if (it.op) {
            out.put_u8(2); // QI_OPR
            out.put_u8(static_cast<std::uint8_t>(*it.op));
            if (*it.op == ts_operator::phrase) out.put_u16(it.distance);
        } else {
            out.put_u8(1); // QI_VAL
            out.put_u8(it.weights);
            out.put_u8(it.prefix ? 1 : 0);
            out.put_cstring(it.operand);
        }
    }
}

error_code read(std::span<const std::byte> in, tsquery& v) {
    byte_reader r(in);
    const std::int32_t n = r.i32();
    // Every item takes at least two bytes.
    if (r.error() || n < 0 || static_cast<std::size_t>(n) > r.remaining() / 2)
        return client_errc::invalid_binary_length;
    v.items.clear();
    v.items.reserve(static_cast<std::size_t>(n));
    for (std::int32_t i = 0; i < n; ++i) {
        tsquery_item it;
        const std::uint8_t type = r.u8();
        if (type == 1) {
            it.weights = r.u8();
            const std::uint8_t prefix = r.u8();
            it.operand = r.cstring();
            if (r.error()) return client_errc::invalid_binary_length;
            // tsquerysend writes 0 or 1 (tsqueryrecv would take any non-zero byte).
            if (prefix > 1) return client_errc::value_out_of_range;
            it.prefix = prefix == 1;
        } else if (type == 2) {
            it.op = static_cast<ts_operator>(r.u8());
            if (r.error()) return client_errc::invalid_binary_length;
            if (!known_operator(*it.op)) return client_errc::value_out_of_range;
            if (*it.op == ts_operator::phrase) it.distance = r.u16();
        } else {
            if (r.error()) return client_errc::invalid_binary_length;
            return client_errc::value_out_of_range; // QI_VALSTOP is never sent
        }
        if (r.error()) return client_errc::invalid_binary_length;
        v.items.push_back(std::move(it));
    }
    if (!r.empty()) return client_errc::invalid_binary_length;
    return {};
}

// infix(): the subtree at `i` (advanced past it) as the server writes it. Parentheses around an
// operator of lower priority than its parent's, and around a phrase on the right of a phrase.
void infix(std::string& out, const std::vector<tsquery_item>& items, std::size_t& i,
           int parent_priority, bool right_of_phrase) {
    const auto& it = items[i++];
    if (!it.op) {
        append_quoted(out, it.operand);
        if (it.weights != 0 || it.prefix) {
            out += ':';
            if (it.prefix) out += '*';
            if (it.weights & 8) out += 'A';
            if (it.weights & 4) out += 'B';
            if (it.weights & 2) out += 'C';
            if (it.weights & 1) out += 'D';
        }
        return;
    }
    const int p = priority(*it.op);
    if (*it.op == ts_operator::not_) {
        if (p < parent_priority) out += "( ";
        out += '!';
        infix(out, items, i, p, false);
        if (p < parent_priority) out += " )";
        return;
    }
    const bool parens = p < parent_priority || (*it.op == ts_operator::phrase && right_of_phrase);
    if (parens) out += "( ";
    // The right operand comes first in the items: write it aside, then the left one.
    std::string right;
    infix(right, items, i, p, *it.op == ts_operator::phrase);
    infix(out, items, i, p, false);
    switch (*it.op) {
    case ts_operator::or_:
        out += " | ";
        break;
    case ts_operator::and_:
        out += " & ";
        break;
    default:
        if (it.distance != 1) {
            out += " <";
            append_integer(out, it.distance);
            out += "> ";
        } else {
            out += " <-> ";
        }
        break;
    }
    out += right;
    if (parens) out += " )";
}

void format(std::string& out, const tsquery& v) {
    if (v.items.empty()) return;
    std::size_t i = 0;
    infix(out, v.items, i, -1, false);
}

// parse_tsquery with pushval_asis: the server's shunting-yard (makepol, cleanOpStack). Items are
// produced in postfix order, then reversed, which is the prefix order with the right operand
// first.
class query_parser {
public:
    query_parser(std::string_view s, std::vector<tsquery_item>& postfix) noexcept
        : s_(s)
        , out_(postfix) {}

    // makepol: one level (the whole query, or the inside of parentheses).
    error_code level(std::size_t depth) {
        if (depth > max_query_depth) return client_errc::value_out_of_range;
        std::vector<std::pair<ts_operator, std::uint16_t>> stack;
        while (true) {
            token t;
            if (auto ec = next(t)) return ec;
            switch (t.kind) {
            case token::value:
                out_.push_back(std::move(t.item));
                break;
            case token::op:
                clean(stack, *t.item.op);
                stack.emplace_back(*t.item.op, t.item.distance);
                break;
            case token::open:
                if (auto ec = level(depth + 1)) return ec;
                break;
            case token::close:
                if (depth == 0) return client_errc::invalid_text_value;
                clean(stack, ts_operator::or_);
                return {};
            case token::end:
                if (depth != 0) return client_errc::invalid_text_value;
                clean(stack, ts_operator::or_);
                return {};
            }
        }
    }

private:
    struct token {
        enum kind_t { value, op, open, close, end } kind = end;
        tsquery_item item;
    };

    // cleanOpStack: pops the operators that bind at least as tightly as `op` (NOT is right
    // associative).
    void clean(std::vector<std::pair<ts_operator, std::uint16_t>>& stack, ts_operator op) {
        const int p = priority(op);
        while (!stack.empty()) {
            const int top = priority(stack.back().first);
            if ((op != ts_operator::not_ && p > top) || (op == ts_operator::not_ && p >= top))
                break;
            tsquery_item it;
            it.op = stack.back().first;
            it.distance = stack.back().second;
            out_.push_back(std::move(it));
            stack.pop_back();
        }
    }

    // parse_phrase_operator: "<->" or "<N>", N in 0..16384, followed by something.
    bool phrase(std::uint16_t& distance, error_code& ec) {
        std::size_t j = i_;
        if (j >= s_.size() || s_[j] != '<') return false;
        ++j;
        unsigned long n = 1;
        if (j < s_.size() && s_[j] == '-') {
            ++j;
        } else {
            if (j >= s_.size() || s_[j] < '0' || s_[j] > '9') return false;
            n = 0;
            while (j < s_.size() && s_[j] >= '0' && s_[j] <= '9') {
                n = std::min<unsigned long>(n * 10 + static_cast<unsigned>(s_[j] - '0'), 1u << 20);
                ++j;
            }
            if (n > max_entry_pos) {
                ec = client_errc::value_out_of_range;
                return false;
            }
        }
        if (j >= s_.size() || s_[j] != '>' || j + 1 >= s_.size()) return false;
        distance = static_cast<std::uint16_t>(n);
        i_ = j + 1;
        return true;
    }

    // gettoken_query_standard.
    error_code next(token& t) {
        while (true) {
            if (expect_operand_) {
                if (i_ < s_.size() && s_[i_] == '!') {
                    ++i_;
                    t.kind = token::op;
                    t.item.op = ts_operator::not_;
                    first_ = false;
                    return {};
                }
                if (i_ < s_.size() && s_[i_] == '(') {
                    ++i_;
                    t.kind = token::open;
                    first_ = false;
                    return {};
                }
                if (i_ < s_.size() && s_[i_] == ':') return client_errc::invalid_text_value;
                if (i_ < s_.size() && is_space(s_[i_])) {
                    ++i_;
                    continue;
                }
                bool found = false;
                if (auto ec = read_word(s_, i_, true, found, t.item.operand, nullptr)) return ec;
                if (!found) {
                    // Only an empty query may end where an operand is due.
                    if (!first_) return client_errc::invalid_text_value;
                    t.kind = token::end;
                    return {};
                }
                modifiers(t.item);
                t.kind = token::value;
                expect_operand_ = false;
                first_ = false;
                return {};
            }
            if (i_ == s_.size()) {
                t.kind = token::end;
                return {};
            }
            const char c = s_[i_];
            if (c == '&' || c == '|') {
                ++i_;
                t.kind = token::op;
                t.item.op = c == '&' ? ts_operator::and_ : ts_operator::or_;
                expect_operand_ = true;
                return {};
            }
            error_code ec;
            if (phrase(t.item.distance, ec)) {
                t.kind = token::op;
                t.item.op = ts_operator::phrase;
                expect_operand_ = true;
                return {};
            }
            if (ec) return ec;
            if (c == ')') {
                ++i_;
                t.kind = token::close;
                return {};
            }
            if (!is_space(c)) return client_errc::invalid_text_value;
            ++i_;
        }
    }

    // get_modifiers: ':' then weight letters and '*', any order.
    void modifiers(tsquery_item& it) noexcept {
        if (i_ >= s_.size() || s_[i_] != ':') return;
        ++i_;
        for (; i_ < s_.size(); ++i_) {
            switch (s_[i_]) {
            case 'a':
            case 'A':
                it.weights |= 8;
                break;
            case 'b':
            case 'B':
                it.weights |= 4;
                break;
            case 'c':
            case 'C':
                it.weights |= 2;
                break;
            case 'd':
            case 'D':
                it.weights |= 1;
                break;
            case '*':
                it.prefix = true;
                break;
            default:
                return;
            }
        }
    }

    std::string_view s_;
    std::vector<tsquery_item>& out_;
    std::size_t i_ = 0;
    bool expect_operand_ = true;
    bool first_ = true;
};

error_code parse(std::string_view s, tsquery& v) {
    std::vector<tsquery_item> postfix;
    if (auto ec = query_parser(s, postfix).level(0)) return ec;
    v.items.assign(std::make_move_iterator(postfix.rbegin()),
                   std::make_move_iterator(postfix.rend()));
    return check_tree(v.items);
}

} // namespace

template <class T, oid Type, oid ArrayType>
error_code text_search_codec<T, Type, ArrayType>::encode_binary(write_buffer& out, const T& v) {
    if (auto ec = check(v)) return ec;
    // The server sends an empty tsquery, but tsqueryrecv refuses one ("operand not found").
    if constexpr (std::is_same_v<T, tsquery>)
        if (v.items.empty()) return client_errc::value_out_of_range;
    write(out, v);
    return {};
}

template <class T, oid Type, oid ArrayType>
error_code text_search_codec<T, Type, ArrayType>::decode_binary(std::span<const std::byte> in,
                                                                oid t, T& out) {
    if (!accepts(t)) return client_errc::type_mismatch;
    if (auto ec = read(in, out)) return ec;
    return check(out);
}

template <class T, oid Type, oid ArrayType>
error_code text_search_codec<T, Type, ArrayType>::encode_text(std::string& out, const T& v) {
    if (auto ec = check(v)) return ec;
    format(out, v);
    return {};
}

template <class T, oid Type, oid ArrayType>
error_code text_search_codec<T, Type, ArrayType>::decode_text(std::string_view in, oid t, T& out) {
    if (!accepts(t)) return client_errc::type_mismatch;
    if (auto ec = parse(in, out)) return ec;
    return check(out);
}

template struct text_search_codec<tsvector, oids::tsvector, oids::tsvector_array>;
template struct text_search_codec<tsquery, oids::tsquery, oids::tsquery_array>;

} // namespace pgasio::protocol::types::detail
