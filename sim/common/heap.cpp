#include "sim/common/heap.h"

#include <malloc.h>

namespace conloc {

void release_free_memory() {
  malloc_trim(0);
}

}  // namespace conloc
