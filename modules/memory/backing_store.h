#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

namespace conloc {

// Zero-initialised storage of a memory model. calloc gets large blocks straight from the kernel
// as zero pages that use no memory until written, so a 1 GiB buffer of which a network touches
// 3 MiB costs 3 MiB (a std::vector would write every byte).
class BackingStore {
 public:
  explicit BackingStore(std::uint64_t bytes)
      : size_(bytes), data_(bytes ? static_cast<std::uint8_t*>(std::calloc(bytes, 1)) : nullptr) {
    if (bytes && !data_) throw std::bad_alloc();
  }
  std::uint8_t* data() { return data_.get(); }
  const std::uint8_t* data() const { return data_.get(); }
  std::uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::uint8_t& operator[](std::uint64_t i) { return data_[i]; }

 private:
  struct Free {
    void operator()(std::uint8_t* p) const { std::free(p); }
  };
  std::uint64_t size_;
  std::unique_ptr<std::uint8_t[], Free> data_;
};

}  // namespace conloc
