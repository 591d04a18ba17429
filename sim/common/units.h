#pragma once

#include <cstdint>

namespace conloc {

// A count with a unit in its type, so that cycles, bits and bytes cannot be swapped by position.
template <class Tag>
class Quantity {
 public:
  constexpr Quantity() = default;
  constexpr explicit Quantity(std::uint64_t v) : v_(v) {}
  constexpr std::uint64_t value() const { return v_; }

  constexpr Quantity& operator+=(Quantity o) {
    v_ += o.v_;
    return *this;
  }
  friend constexpr Quantity operator+(Quantity a, Quantity b) { return Quantity(a.v_ + b.v_); }
  friend constexpr Quantity operator-(Quantity a, Quantity b) { return Quantity(a.v_ - b.v_); }
  friend constexpr Quantity operator*(Quantity a, std::uint64_t k) { return Quantity(a.v_ * k); }
  friend constexpr bool operator==(Quantity a, Quantity b) { return a.v_ == b.v_; }
  friend constexpr bool operator!=(Quantity a, Quantity b) { return a.v_ != b.v_; }
  friend constexpr bool operator<(Quantity a, Quantity b) { return a.v_ < b.v_; }
  friend constexpr bool operator<=(Quantity a, Quantity b) { return a.v_ <= b.v_; }
  friend constexpr bool operator>(Quantity a, Quantity b) { return a.v_ > b.v_; }
  friend constexpr bool operator>=(Quantity a, Quantity b) { return a.v_ >= b.v_; }

 private:
  std::uint64_t v_ = 0;
};

using Cycles = Quantity<struct CyclesTag>;
using Bits = Quantity<struct BitsTag>;

// Bytes that hold `b` bits, rounded up: packed code words occupy whole bytes only at the end.
constexpr std::uint64_t bytes_for(Bits b) {
  return (b.value() + 7) / 8;
}

}  // namespace conloc
