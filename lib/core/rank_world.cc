#include "core/rank_world.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <string>

#include "core/error.h"

namespace grid {
namespace {

// Open MPI's ABI (Debian's libopenmpi3): handles are pointers to the
// library's predefined objects, found by their symbols. MPICH's integer
// handles are another ABI; a run under it reports libmpi.so.40 missing.
constexpr const char* kLibMpi = "libmpi.so.40";
using Handle = void*;
// Open MPI's MPI_IN_PLACE (mpi.h: ((void *) 1)).
void* const kInPlace = reinterpret_cast<void*>(1);

// MPI_Finalize, for the exit handler of a process that called MPI_Init.
int (*g_finalize)() = nullptr;

int env_int(const char* name, bool* present) {
  const char* v = std::getenv(name);
  *present = v && *v;
  if (!*present) return 0;
  const std::string s = v;
  if (s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos)
    throw Error(Exit::usage, std::string(name) + "=" + s + " is not a number");
  return std::stoi(s);
}

class SoloWorld : public RankWorld {
 public:
  void broadcast(std::string*) override {}
  void alltoall_runs(const float* send, const std::vector<Runs>& to, float* recv,
                     const std::vector<Runs>& from) override {
    // The message to itself, as MPI would carry it.
    std::vector<float> message;
    for (const Run& r : to[0]) message.insert(message.end(), send + r.at, send + r.at + r.len);
    size_t k = 0;
    for (const Run& r : from[0]) {
      std::copy_n(message.begin() + k, r.len, recv + r.at);
      k += r.len;
    }
  }
  void allgatherv_in_place(float*, const std::vector<int>&, const std::vector<int>&) override {}
  void allreduce_sum(float*, int) override {}
  void abort_all(int) override {}
};

class MpiWorld : public RankWorld {
 public:
  explicit MpiWorld(const RankEnv& env) {
    lib_ = dlopen(kLibMpi, RTLD_NOW | RTLD_GLOBAL);  // GLOBAL: Open MPI's own plugins link against it
    if (!lib_)
      throw Error(Exit::unavailable, env.from + "=" + std::to_string(env.size) + " asks for " +
                                         std::to_string(env.size) + " ranks, but Open MPI cannot be loaded: " + dlerror());
    comm_ = symbol("ompi_mpi_comm_world");
    float_ = symbol("ompi_mpi_float");
    byte_ = symbol("ompi_mpi_byte");
    sum_ = symbol("ompi_mpi_op_sum");
    int_ = symbol("ompi_mpi_int");
    fn(init_, "MPI_Init");
    fn(finalize_, "MPI_Finalize");
    fn(comm_rank_, "MPI_Comm_rank");
    fn(comm_size_, "MPI_Comm_size");
    fn(bcast_, "MPI_Bcast");
    fn(alltoallw_, "MPI_Alltoallw");
    fn(type_hindexed_, "MPI_Type_create_hindexed");
    fn(type_commit_, "MPI_Type_commit");
    fn(type_free_, "MPI_Type_free");
    fn(allgatherv_, "MPI_Allgatherv");
    fn(allreduce_, "MPI_Allreduce");
    fn(abort_, "MPI_Abort");
    init_(nullptr, nullptr);
    comm_rank_(comm_, &rank_);
    comm_size_(comm_, &size_);
    from_ = env.from;
    if (size_ != env.size || rank_ != env.rank)
      throw Error(Exit::unavailable, "MPI made this process rank " + std::to_string(rank_) + " of " +
                                         std::to_string(size_) + ", but " + env.from + " says " +
                                         std::to_string(env.size) + " ranks (under srun, pass --mpi=pmix)");
    // Every rank that got here leaves through MPI_Finalize, or mpirun
    // counts it as a rank that died.
    g_finalize = finalize_;
    std::atexit([] { g_finalize(); });
  }

  void broadcast(std::string* bytes) override {
    int n = static_cast<int>(bytes->size());
    bcast_(&n, 1, int_, 0, comm_);
    bytes->resize(n);
    bcast_(bytes->data(), n, byte_, 0, comm_);
  }
  void alltoall_runs(const float* send, const std::vector<Runs>& to, float* recv,
                     const std::vector<Runs>& from) override {
    const int R = size_;
    std::vector<Handle> send_types(R), recv_types(R);
    std::vector<int> send_counts(R), recv_counts(R), zeros(R, 0);
    for (int q = 0; q < R; ++q) {
      send_counts[q] = runs_type(to[q], &send_types[q]);
      recv_counts[q] = runs_type(from[q], &recv_types[q]);
    }
    alltoallw_(send, send_counts.data(), zeros.data(), send_types.data(), recv, recv_counts.data(), zeros.data(),
               recv_types.data(), comm_);
    for (int q = 0; q < R; ++q) {
      if (send_counts[q]) type_free_(&send_types[q]);
      if (recv_counts[q]) type_free_(&recv_types[q]);
    }
  }
  void allgatherv_in_place(float* data, const std::vector<int>& counts, const std::vector<int>& displs) override {
    allgatherv_(kInPlace, 0, float_, data, counts.data(), displs.data(), float_, comm_);
  }
  void allreduce_sum(float* data, int count) override {
    scratch_.assign(data, data + count);
    allreduce_(scratch_.data(), data, count, float_, sum_, comm_);
  }
  void abort_all(int code) override { abort_(comm_, code); }

 private:
  void* lib_ = nullptr;
  Handle comm_, float_, byte_, sum_, int_;
  int (*init_)(int*, char***);
  int (*finalize_)();
  int (*comm_rank_)(Handle, int*);
  int (*comm_size_)(Handle, int*);
  int (*bcast_)(void*, int, Handle, int, Handle);
  int (*alltoallw_)(const void*, const int*, const int*, const Handle*, void*, const int*, const int*, const Handle*,
                    Handle);
  int (*type_hindexed_)(int, const int*, const std::ptrdiff_t*, Handle, Handle*);
  int (*type_commit_)(Handle*);
  int (*type_free_)(Handle*);
  int (*allgatherv_)(const void*, int, Handle, void*, const int*, const int*, Handle, Handle);
  int (*allreduce_)(const void*, void*, int, Handle, Handle, Handle);
  int (*abort_)(Handle, int);
  std::vector<float> scratch_;

  // The runs as one datatype of floats (count 1), or nothing (count 0).
  int runs_type(const Runs& runs, Handle* type) {
    *type = float_;
    if (runs.empty()) return 0;
    std::vector<int> lens;
    std::vector<std::ptrdiff_t> bytes;  // MPI_Aint in Open MPI's ABI
    for (const Run& r : runs) {
      lens.push_back(r.len);
      bytes.push_back(static_cast<std::ptrdiff_t>(r.at * sizeof(float)));
    }
    type_hindexed_(static_cast<int>(runs.size()), lens.data(), bytes.data(), float_, type);
    type_commit_(type);
    return 1;
  }

  void* symbol(const char* name) {
    void* p = dlsym(lib_, name);
    if (!p) throw Error(Exit::unavailable, std::string(kLibMpi) + " has no " + name + ": not Open MPI's ABI");
    return p;
  }
  template <typename F>
  void fn(F& out, const char* name) {
    out = reinterpret_cast<F>(symbol(name));
  }
};

}  // namespace

bool RankWorld::any_failed(bool failed) {
  float count = failed ? 1.0f : 0.0f;
  allreduce_sum(&count, 1);
  return count > 0.0f;
}

void RankWorld::wait_for_abort() {
  for (;;) ::pause();
}

void RankWorld::abort(int code) {
  abort_all(code);
  std::_Exit(code);  // MPI_Abort does not return; a single rank has nothing else to end
}

RankEnv rank_env() {
  struct Pair {
    const char *rank, *size;
  };
  for (const Pair p : {Pair{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"}, Pair{"PMI_RANK", "PMI_SIZE"},
                       Pair{"SLURM_PROCID", "SLURM_STEP_NUM_TASKS"}}) {
    bool has_rank, has_size;
    const int rank = env_int(p.rank, &has_rank), size = env_int(p.size, &has_size);
    if (!has_rank || !has_size) continue;
    if (size < 1 || rank >= size)
      throw Error(Exit::usage, std::string(p.rank) + "=" + std::to_string(rank) + " is not a rank of " + p.size + "=" +
                                   std::to_string(size));
    int local = rank;
    for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"}) {
      bool has;
      const int v = env_int(name, &has);
      if (has) {
        local = v;
        break;
      }
    }
    return RankEnv{rank, size, p.size, local};
  }
  return RankEnv{};
}

RankWorld& rank_world() {
  static std::unique_ptr<RankWorld> world;
  if (!world) {
    const RankEnv env = rank_env();
    if (env.size == 1)
      world = std::make_unique<SoloWorld>();
    else
      world = std::make_unique<MpiWorld>(env);
  }
  return *world;
}

}  // namespace grid
