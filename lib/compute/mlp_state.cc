// The state and model byte layouts documented in mlp.h.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "compute/mlp.h"
#include "compute/mlp_layers.h"
#include "compute/mlp_optimizer.h"

namespace grid {

// Little-endian bytes into a string, or, with a sink, through SHA-256 in
// 64 KiB pieces: the state hash after every step never holds the whole
// state's bytes at once.
class ByteWriter {
 public:
  explicit ByteWriter(Sha256* sink = nullptr) : sink_(sink) {}

  void raw(const char* p, size_t n) { out_.append(p, n); }
  void u32(uint32_t v) {
    char b[4];
    put_u32(b, v);
    out_.append(b, 4);
  }
  void i64(int64_t v) {
    const uint64_t u = static_cast<uint64_t>(v);
    for (int b = 0; b < 8; ++b) out_.push_back(static_cast<char>(u >> (8 * b)));
  }
  void f32s(const std::vector<float>& v) {
    for (size_t i = 0; i < v.size(); i += kPieceFloats) {
      const size_t n = std::min(kPieceFloats, v.size() - i);
      const size_t at = out_.size();
      out_.resize(at + 4 * n);
      char* p = &out_[at];
      for (size_t e = 0; e < n; ++e) {
        uint32_t bits;
        std::memcpy(&bits, &v[i + e], 4);
        if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu)) bits = 0x7fc00000u;
        put_u32(p + 4 * e, bits);
      }
      spill();
    }
  }
  std::string take() { return std::move(out_); }
  Digest digest() {
    sink_->update(out_);
    out_.clear();
    return sink_->final();
  }

 private:
  static constexpr size_t kPieceFloats = 16384;
  static void put_u32(char* p, uint32_t v) {
    for (int b = 0; b < 4; ++b) p[b] = static_cast<char>(v >> (8 * b));
  }
  void spill() {
    if (!sink_ || out_.size() < 4 * kPieceFloats) return;
    sink_->update(out_);
    out_.clear();
  }

  Sha256* sink_;
  std::string out_;
};

namespace {

const char kStateMagic[] = "GRIDMLP1";
const char kModelMagic[] = "GRIDMDL1";
constexpr size_t kMagicSize = 8;
// More sizes than any MLP has; bounds what a bad header can make us read.
constexpr uint32_t kMaxLayerCount = 4096;

class ByteReader {
 public:
  ByteReader(const std::string& in, const char* what) : in_(in), what_(what) {}

  void magic(const char* expected) {
    need(kMagicSize);
    if (in_.compare(0, kMagicSize, expected) != 0)
      fail(std::string("does not start with ") + expected);
    pos_ += kMagicSize;
  }
  uint32_t u32() {
    need(4);
    uint32_t v = 0;
    for (int b = 0; b < 4; ++b) v |= uint32_t{static_cast<uint8_t>(in_[pos_ + b])} << (8 * b);
    pos_ += 4;
    return v;
  }
  int64_t i64() {
    need(8);
    uint64_t v = 0;
    for (int b = 0; b < 8; ++b) v |= uint64_t{static_cast<uint8_t>(in_[pos_ + b])} << (8 * b);
    pos_ += 8;
    return static_cast<int64_t>(v);
  }
  // Fills v (already sized) from the next 4 * v.size() bytes.
  void f32s(std::vector<float>* v) {
    need(v->size() * 4);
    for (float& x : *v) {
      const uint32_t bits = u32();
      std::memcpy(&x, &bits, 4);
    }
  }
  size_t left() const { return in_.size() - pos_; }
  void end() {
    if (pos_ != in_.size()) fail(std::to_string(in_.size() - pos_) + " bytes follow the end");
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw Error(Exit::data, std::string(what_) + ": " + why);
  }

 private:
  void need(size_t n) {
    if (in_.size() - pos_ < n)
      fail("truncated at byte " + std::to_string(pos_) + " of " + std::to_string(in_.size()));
  }
  const std::string& in_;
  const char* what_;
  size_t pos_ = 0;
};

void write_layers(ByteWriter* w, const std::vector<int>& layers) {
  w->u32(static_cast<uint32_t>(layers.size()));
  for (int n : layers) w->u32(static_cast<uint32_t>(n));
}

// Layer sizes from a header, checked before anything is allocated from them.
std::vector<int> read_layers(ByteReader* r) {
  const uint32_t n = r->u32();
  if (n < 2 || n > kMaxLayerCount) r->fail("bad layer count " + std::to_string(n));
  std::vector<int> layers(n);
  int64_t params = 0;
  for (uint32_t l = 0; l < n; ++l) {
    const uint32_t w = r->u32();
    if (w < 1 || w > static_cast<uint32_t>(kMlpMaxWidth))
      r->fail("layers[" + std::to_string(l) + "] = " + std::to_string(w) + " out of range");
    layers[l] = static_cast<int>(w);
    if (l > 0) params += int64_t{layers[l - 1]} * layers[l] + layers[l];
  }
  if (params > kMlpMaxParameters || static_cast<uint64_t>(params) * 4 > r->left())
    r->fail("too short for " + std::to_string(params) + " parameters");
  return layers;
}

}  // namespace

void Trainer::write_state(ByteWriter* writer) const {
  fetch_from_device();
  ByteWriter& w = *writer;
  w.raw(kStateMagic, kMagicSize);
  write_layers(&w, config_.layers);
  w.u32(static_cast<uint32_t>(optimizer_));
  w.i64(step_);
  for (const auto& t : params_) w.f32s(t);
  if (optimizer_ == MlpOptimizer::adam) w.i64(adam_t_);
  for (const auto& t : slots_) w.f32s(t);
}

std::string Trainer::serialize_state() const {
  ByteWriter w;
  write_state(&w);
  return w.take();
}

void Trainer::restore_state(const std::string& bytes) {
  ByteReader r(bytes, "mlp state");
  r.magic(kStateMagic);
  if (read_layers(&r) != config_.layers) r.fail("its layers differ from the task's");
  const uint32_t optimizer = r.u32();
  if (optimizer != static_cast<uint32_t>(optimizer_))
    r.fail("optimizer code " + std::to_string(optimizer) + ", the task's is " +
           std::to_string(static_cast<uint32_t>(optimizer_)));
  const int64_t step = r.i64();
  if (step < 0) r.fail("negative step " + std::to_string(step));
  mlp::Tensors params = mlp::zero_parameters(config_.layers);
  for (auto& t : params) r.f32s(&t);
  int64_t adam_t = 0;
  if (optimizer_ == MlpOptimizer::adam) {
    adam_t = r.i64();
    if (adam_t < 0) r.fail("negative adam step count " + std::to_string(adam_t));
  }
  mlp::Tensors slots = mlp::optimizer_slots(optimizer_, params);
  for (auto& t : slots) r.f32s(&t);
  r.end();
  // Only now, so a bad state leaves the Trainer as it was.
  step_ = step;
  adam_t_ = adam_t;
  params_ = std::move(params);
  slots_ = std::move(slots);
  last_loss_ = std::numeric_limits<float>::quiet_NaN();
  host_stale_ = loss_stale_ = false;
  device_stale_ = true;
}

Digest Trainer::state_hash() const {
  Sha256 h;
  ByteWriter w(&h);
  write_state(&w);
  return w.digest();
}

std::string Trainer::serialize_model() const {
  ByteWriter w;
  w.raw(kModelMagic, kMagicSize);
  write_layers(&w, config_.layers);
  w.u32(loss_ == MlpLoss::softmax_xent ? 1 : 0);
  fetch_from_device();
  for (const auto& t : params_) w.f32s(t);
  return w.take();
}

namespace {

// The model serialization after its magic.
MlpModel read_model_body(ByteReader* r) {
  MlpModel m;
  m.layers = read_layers(r);
  const uint32_t output = r->u32();
  if (output > 1) r->fail("unknown output code " + std::to_string(output));
  m.has_loss = true;
  m.loss = output == 1 ? MlpLoss::softmax_xent : MlpLoss::mse;
  m.params = mlp::zero_parameters(m.layers);
  for (auto& t : m.params) r->f32s(&t);
  r->end();
  return m;
}

// The state serialization after its magic: the weights, with the optimizer
// code, step and slots checked for shape (so that a truncated or padded
// state is refused as restore_state would) but not kept.
MlpModel read_state_weights(ByteReader* r) {
  MlpModel m;
  m.layers = read_layers(r);
  const uint32_t optimizer = r->u32();
  if (optimizer > static_cast<uint32_t>(MlpOptimizer::adam)) r->fail("unknown optimizer code " + std::to_string(optimizer));
  if (r->i64() < 0) r->fail("negative step");
  m.params = mlp::zero_parameters(m.layers);
  for (auto& t : m.params) r->f32s(&t);
  if (optimizer == static_cast<uint32_t>(MlpOptimizer::adam) && r->i64() < 0) r->fail("negative adam step count");
  mlp::Tensors slots = mlp::optimizer_slots(static_cast<MlpOptimizer>(optimizer), m.params);
  for (auto& t : slots) r->f32s(&t);
  r->end();
  return m;
}

}  // namespace

MlpModel read_mlp_model(const std::string& bytes) {
  if (bytes.compare(0, kMagicSize, kStateMagic) == 0) {
    ByteReader r(bytes, "mlp checkpoint");
    r.magic(kStateMagic);
    return read_state_weights(&r);
  }
  ByteReader r(bytes, "mlp model");
  if (bytes.compare(0, kMagicSize, kModelMagic) != 0)
    r.fail(std::string("starts with neither ") + kModelMagic + " (a model) nor " + kStateMagic + " (a checkpoint)");
  r.magic(kModelMagic);
  return read_model_body(&r);
}

std::vector<float> mlp_predict(const std::string& model_bytes, const float* x, int rows,
                               const GemmEngine& engine) {
  ByteReader r(model_bytes, "mlp model");
  r.magic(kModelMagic);
  const MlpModel m = read_model_body(&r);
  return mlp_predict(m, x, rows, m.layers[0], engine);
}

std::vector<float> mlp_predict(const MlpModel& model, const float* x, int rows, int features,
                               const GemmEngine& engine) {
  if (rows < 0) throw std::invalid_argument("mlp_predict: negative row count");
  if (!model.has_loss) throw std::invalid_argument("mlp_predict: the model's loss is not set");
  if (features != model.layers[0])
    throw data_error("the data has " + std::to_string(features) + " features, the model takes " +
                         std::to_string(model.layers[0]),
                     ".infer.data");
  return mlp::predict(engine, model.layers, model.params, model.loss, x, rows);
}

}  // namespace grid
