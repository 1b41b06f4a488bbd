// Result<T>: the error channel between tailgate's modules (g++ 12 has no std::expected).
// An Error carries a stable kebab-case code (for tests and tools) and a human message.
// No exception crosses a module boundary: every fallible public function returns Result.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace tailgate {

struct Error {
    std::string code;    // stable identifier, e.g. "bad-opcode", "truncated-section"
    std::string message; // one line, no trailing newline, names the values involved
};

inline Error make_error(std::string code, std::string message) {
    return Error{std::move(code), std::move(message)};
}

template <class T> class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<0>(v_);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(v_);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(v_));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const {
        assert(!ok());
        return std::get<1>(v_);
    }

  private:
    std::variant<T, Error> v_;
};

// Result<void> equivalent.
struct Ok {};
using Status = Result<Ok>;

} // namespace tailgate

// Propagate an error from an expression yielding Result<...>; binds the value otherwise.
#define TG_TRY_ASSIGN(lhs, expr)                                                                             \
    auto TG_CONCAT(tg_res_, __LINE__) = (expr);                                                            \
    if (!TG_CONCAT(tg_res_, __LINE__).ok()) return TG_CONCAT(tg_res_, __LINE__).error();                    \
    lhs = std::move(TG_CONCAT(tg_res_, __LINE__)).value()
#define TG_CONCAT_INNER(a, b) a##b
#define TG_CONCAT(a, b) TG_CONCAT_INNER(a, b)
