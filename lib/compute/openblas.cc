#include "compute/openblas.h"

#include <dlfcn.h>
#include <link.h>

#include <cstdlib>
#include <optional>

#include "core/error.h"

namespace grid {

namespace {

constexpr const char* kCoreEnv = "OPENBLAS_CORETYPE";

std::string dl_error() {
  const char* e = ::dlerror();
  return e ? e : "the dynamic loader gave no reason";
}

template <typename F>
bool resolve(void* h, const char* name, F* out, std::string* missing) {
  *out = reinterpret_cast<F>(::dlsym(h, name));
  if (!*out) *missing += std::string(missing->empty() ? "" : ", ") + name;
  return *out != nullptr;
}

}  // namespace

std::vector<std::string> openblas_cores_runnable(const CpuFeatures& f) {
  std::vector<std::string> cores;
#if defined(__x86_64__)
  // The features each kernel set is built for, as OpenBLAS's own
  // dynamic.c tests them (support_avx512, support_avx512_bf16, support_avx2).
  const bool avx512 = has_avx512_skylake(f);
  if (avx512 && f.avx512bf16) cores.push_back("Cooperlake");
  if (avx512) cores.push_back("SkylakeX");
  if (f.avx2 && f.fma) {
    // Zen's kernels are Haswell's with AMD's cache sizes.
    if (f.amd) cores.push_back("Zen");
    cores.push_back("Haswell");
  }
  if (f.avx) cores.push_back("Sandybridge");
  cores.push_back("Prescott");
#else
  (void)f;
#endif
  return cores;
}

std::string openblas_core_choice(const CpuFeatures& f) {
  if (!(f.avx2 && f.fma)) return "";
  return openblas_cores_runnable(f).front();
}

std::optional<Openblas> load_openblas(const std::string& library, const std::string& core, std::string* why) {
  // OpenBLAS reads OPENBLAS_CORETYPE once, in its constructor, as dlopen
  // maps it; ours is removed again after, so that no program we start
  // inherits it as though the user had set it. The environment is written
  // once per process, before any BLAS thread exists; no other code of ours
  // reads it while a kernel runs.
  const char* user = std::getenv(kCoreEnv);
  const bool set_ours = !core.empty() && !(user && *user);
  if (set_ours) ::setenv(kCoreEnv, core.c_str(), 1);
  void* h = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (set_ours) ::unsetenv(kCoreEnv);
  if (!h) {
    if (why) *why = dl_error();
    return std::nullopt;
  }
  Openblas b;
  std::string missing;
  resolve(h, "cblas_sgemm", &b.sgemm, &missing);
  resolve(h, "openblas_set_num_threads", &b.set_num_threads, &missing);
  resolve(h, "openblas_get_corename", &b.get_corename, &missing);
  if (!missing.empty()) {
    if (why) *why = library + " is not OpenBLAS: it lacks " + missing;
    ::dlclose(h);
    return std::nullopt;
  }
  struct link_map* map = nullptr;
  b.library = ::dlinfo(h, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name && *map->l_name ? map->l_name : library;
  const char* name = b.get_corename();
  b.core = name ? name : "unknown";
  if (set_ours) b.chosen = core;
  return b;  // never closed: its threads live as long as the process
}

const Openblas& openblas() {
  static std::string failed;
  static const std::optional<Openblas> b = [] {
    const char* env = std::getenv(kOpenblasEnv);
    const std::string library = env && *env ? env : kOpenblasDefault;
    std::optional<Openblas> r = load_openblas(library, openblas_core_choice(cpu_features()), &failed);
    if (!r) failed = "fast mode needs OpenBLAS: " + failed;
    return r;
  }();
  if (!b) throw Error(Exit::unavailable, failed);
  return *b;
}

}  // namespace grid
