// builder's own reader of fastText's lid.176 language model: the same answers as
// fasttext-predict, several times faster.
//
// Why: in a build, fastText's predictLine spent most of its time around the model
// rather than in it: an unordered_map lookup per character ngram (Dictionary::pushHash,
// 31%), one std::string per ngram (computeSubwords, 19%), malloc/free (~15%); the
// arithmetic itself was ~7%. This file computes the same things without those costs:
// an ngram's hash is extended byte by byte, pruned ngram ids go through an
// open-addressing table, and nothing is allocated per word.
//
// What must not change is any answer. The model file is read as fastText reads it, and
// every float operation below is the one fastText does (`real` is float), in the same
// order, with the same std::push_heap/pop_heap/sort_heap and comparator, so labels and
// probabilities are bit for bit those of fasttext-predict 0.9.2.4
// (tests/parse/test_lid.py compares them). Only the configuration lid.176.ftz uses is
// implemented (supervised, hierarchical softmax, quantized input, dense output, no word
// ngrams); any other model file is refused at load rather than read wrongly.
//
// Derived from fastText (https://github.com/facebookresearch/fastText), Copyright (c)
// 2016-present, Facebook, Inc., MIT license: src/args.cc, dictionary.cc, fasttext.cc,
// loss.cc, model.cc, productquantizer.cc, quantmatrix.cc, densematrix.cc and
// python/fasttext_module/fasttext/pybind/fasttext_pybind.cc.

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr int32_t kMagic = 793712314;  // FASTTEXT_FILEFORMAT_MAGIC_INT32
constexpr int32_t kMaxVersion = 12;    // FASTTEXT_VERSION
constexpr int32_t kLossHs = 1;         // loss_name::hs
constexpr int32_t kModelSup = 3;       // model_name::sup
constexpr int8_t kTypeLabel = 1;       // entry_type::label
constexpr int32_t kCentroidsPerSubq = 256;  // ProductQuantizer::ksub_
const std::string kEos = "</s>";
const std::string kLabelPrefix = "__label__";  // Args::label's default

// A model file that is not one this reader understands.
struct FormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---------------------------------------------------------------------------
// Reading the file: fastText writes native (little-endian) values one after another.

class Reader {
 public:
  explicit Reader(std::vector<char> data) : data_(std::move(data)) {}

  template <typename T>
  T value() {
    T out;
    bytes(&out, sizeof(T));
    return out;
  }

  void bytes(void* out, size_t n) {
    if (n > data_.size() - pos_) {
      throw FormatError("the model file ends too early");
    }
    std::memcpy(out, data_.data() + pos_, n);
    pos_ += n;
  }

  // A dictionary entry's word: bytes up to a NUL.
  std::string word() {
    const void* end = std::memchr(data_.data() + pos_, 0, data_.size() - pos_);
    if (end == nullptr) {
      throw FormatError("the model file ends inside a word");
    }
    size_t n = static_cast<const char*>(end) - (data_.data() + pos_);
    std::string out(data_.data() + pos_, n);
    pos_ += n + 1;
    return out;
  }

  bool at_end() const { return pos_ == data_.size(); }

 private:
  std::vector<char> data_;
  size_t pos_ = 0;
};

std::vector<char> read_file(const char* path) {
  FILE* f = std::fopen(path, "rb");
  if (f == nullptr) {
    PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
    throw std::runtime_error("");  // the Python error is already set
  }
  std::vector<char> data;
  char chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) {
    data.insert(data.end(), chunk, chunk + n);
  }
  std::fclose(f);
  return data;
}

// ---------------------------------------------------------------------------
// fastText's hash: FNV-1a over the bytes taken as *signed* chars (the models were
// trained that way; Dictionary::hash keeps it on every compiler). Extending a hash by
// one byte is the same as hashing the longer string, which lets an ngram's hash grow
// character by character instead of hashing a new string each time.

constexpr uint32_t kFnvOffset = 2166136261u;

inline uint32_t fnv_step(uint32_t h, char c) {
  return (h ^ uint32_t(int8_t(c))) * 16777619u;
}

uint32_t fnv(const char* s, size_t n) {
  uint32_t h = kFnvOffset;
  for (size_t i = 0; i < n; i++) {
    h = fnv_step(h, s[i]);
  }
  return h;
}

inline bool is_continuation(char c) { return (c & 0xC0) == 0x80; }

// ---------------------------------------------------------------------------
// ProductQuantizer: its load, get_centroids and addcode.

struct ProductQuantizer {
  int32_t dim = 0, nsubq = 0, dsub = 0, lastdsub = 0;
  std::vector<float> centroids;

  void load(Reader& in) {
    dim = in.value<int32_t>();
    nsubq = in.value<int32_t>();
    dsub = in.value<int32_t>();
    lastdsub = in.value<int32_t>();
    if (dim <= 0 || nsubq <= 0 || dsub <= 0 || lastdsub <= 0 ||
        int64_t(nsubq - 1) * dsub + lastdsub != dim) {
      throw FormatError("inconsistent product quantizer");
    }
    centroids.resize(size_t(dim) * kCentroidsPerSubq);
    in.bytes(centroids.data(), centroids.size() * sizeof(float));
  }

  const float* get_centroids(int32_t m, uint8_t i) const {
    if (m == nsubq - 1) {
      return &centroids[m * kCentroidsPerSubq * dsub + i * lastdsub];
    }
    return &centroids[(m * kCentroidsPerSubq + i) * dsub];
  }

  void addcode(float* x, const uint8_t* codes, int32_t t, float alpha) const {
    int32_t d = dsub;
    const uint8_t* code = codes + nsubq * t;
    for (int32_t m = 0; m < nsubq; m++) {
      const float* c = get_centroids(m, code[m]);
      if (m == nsubq - 1) {
        d = lastdsub;
      }
      for (int32_t n = 0; n < d; n++) {
        x[m * dsub + n] += alpha * c[n];
      }
    }
  }
};

// ---------------------------------------------------------------------------
// The model: fastText's Args, Dictionary, input QuantMatrix, output DenseMatrix and
// HierarchicalSoftmaxLoss, reduced to what prediction reads.

struct TreeNode {
  int32_t parent, left, right;
  int64_t count;
  bool binary;
};

using Prediction = std::pair<float, int32_t>;  // (log-probability, label index)

bool compare_pairs(const Prediction& l, const Prediction& r) { return l.first > r.first; }

// loss.cc's std_log: the argument is a float, the sum and the log are double.
float std_log(float x) { return std::log(x + 1e-5); }

class Model {
 public:
  explicit Model(Reader in) {
    load_header(in);
    load_args(in);
    load_dictionary(in);
    load_input(in);
    load_output(in);
    if (!in.at_end()) {
      throw FormatError("unexpected bytes after the output matrix");
    }
    build_tree();
  }

  // FastText::predictLine on `text + "\n"` (what the Python wrapper passes):
  // predictions best first, as (log-probability, label index).
  std::vector<Prediction> predict(const char* text, size_t len, int32_t k,
                                  float threshold) const {
    std::vector<float> hidden(dim_, 0.0f);
    int64_t rows = read_line(text, len, hidden.data());
    std::vector<Prediction> heap;
    if (rows == 0) {  // FastText::predict: no input, no prediction
      return heap;
    }
    if (k == -1) {  // Model::kUnlimitedPredictions
      k = osz_;
    } else if (k <= 0) {
      throw std::invalid_argument("k needs to be 1 or higher!");
    }
    // Model::computeHidden: the sum of the rows, times 1 / their number.
    float scale = 1.0 / rows;
    for (float& h : hidden) {
      h *= scale;
    }
    heap.reserve(k + 1);
    dfs(k, threshold, 2 * osz_ - 2, 0.0, heap, hidden.data());
    std::sort_heap(heap.begin(), heap.end(), compare_pairs);
    return heap;
  }

  const std::string& label(int32_t index) const { return words_[nwords_ + index]; }

 private:
  // Args
  int32_t dim_ = 0, word_ngrams_ = 0, loss_ = 0, model_ = 0, bucket_ = 0, minn_ = 0,
          maxn_ = 0, version_ = 0;
  // Dictionary
  int32_t nwords_ = 0, nlabels_ = 0;
  int64_t pruneidx_size_ = -1;
  std::vector<std::string> words_;
  std::vector<uint32_t> word_hashes_;
  std::vector<int8_t> types_;
  std::vector<int32_t> word2int_;          // fastText's own table, probed the same way
  std::vector<int32_t> subwords_;          // every word's subwords, one after another
  std::vector<size_t> subwords_start_;     // word i's are [start[i], start[i + 1])
  std::vector<int32_t> prune_keys_, prune_values_;  // open addressing, -1: empty
  uint32_t prune_mask_ = 0;
  std::vector<int64_t> label_counts_;      // the Huffman tree's weights
  // Input QuantMatrix
  bool qnorm_ = false;
  int64_t input_rows_ = 0;
  std::vector<uint8_t> codes_, norm_codes_;
  ProductQuantizer pq_, npq_;
  // Output DenseMatrix
  int64_t output_rows_ = 0;
  std::vector<float> output_;
  // HierarchicalSoftmaxLoss
  int32_t osz_ = 0;
  std::vector<TreeNode> tree_;

  void load_header(Reader& in) {
    if (in.value<int32_t>() != kMagic) {
      throw FormatError("not a fastText model file");
    }
    version_ = in.value<int32_t>();
    if (version_ > kMaxVersion) {
      throw FormatError("a fastText model file of a newer version");
    }
  }

  void load_args(Reader& in) {
    dim_ = in.value<int32_t>();
    in.value<int32_t>();  // ws
    in.value<int32_t>();  // epoch
    in.value<int32_t>();  // minCount
    in.value<int32_t>();  // neg
    word_ngrams_ = in.value<int32_t>();
    loss_ = in.value<int32_t>();
    model_ = in.value<int32_t>();
    bucket_ = in.value<int32_t>();
    minn_ = in.value<int32_t>();
    maxn_ = in.value<int32_t>();
    in.value<int32_t>();  // lrUpdateRate
    in.value<double>();   // t
    if (version_ == 11 && model_ == kModelSup) {
      maxn_ = 0;  // FastText::loadModel: old supervised models have no char ngrams
    }
    if (model_ != kModelSup) {
      throw FormatError("only supervised models are implemented");
    }
    if (loss_ != kLossHs) {
      throw FormatError("only the hierarchical softmax loss is implemented");
    }
    if (word_ngrams_ > 1) {
      throw FormatError("word ngrams are not implemented");
    }
    if (dim_ <= 0 || minn_ < 0 || maxn_ < 0 || (maxn_ > 0 && bucket_ <= 0)) {
      throw FormatError("unexpected model arguments");
    }
  }

  void load_dictionary(Reader& in) {
    int32_t size = in.value<int32_t>();
    nwords_ = in.value<int32_t>();
    nlabels_ = in.value<int32_t>();
    in.value<int64_t>();  // ntokens
    pruneidx_size_ = in.value<int64_t>();
    if (size < 0 || nwords_ < 0 || nlabels_ <= 0 || nwords_ + int64_t(nlabels_) != size) {
      throw FormatError("inconsistent dictionary sizes");
    }
    std::vector<int64_t> counts;
    for (int32_t i = 0; i < size; i++) {
      words_.push_back(in.word());
      counts.push_back(in.value<int64_t>());
      types_.push_back(in.value<int8_t>());
      word_hashes_.push_back(fnv(words_.back().data(), words_.back().size()));
      if ((types_.back() == kTypeLabel) != (i >= nwords_)) {
        throw FormatError("labels must follow the words");
      }
    }
    label_counts_.assign(counts.begin() + nwords_, counts.end());
    load_pruneidx(in);
    init_ngrams();
    init_word2int(size);
  }

  // Dictionary::pruneidx_ (an unordered_map) as an open-addressing table: a later
  // pair for the same ngram replaces the earlier one, as `pruneidx_[first] = second`.
  void load_pruneidx(Reader& in) {
    if (pruneidx_size_ <= 0) {
      return;
    }
    uint32_t slots = 1;
    while (slots < 2 * pruneidx_size_) {
      slots <<= 1;
    }
    prune_mask_ = slots - 1;
    prune_keys_.assign(slots, -1);
    prune_values_.assign(slots, -1);
    for (int64_t i = 0; i < pruneidx_size_; i++) {
      int32_t first = in.value<int32_t>();
      int32_t second = in.value<int32_t>();
      if (first < 0 || second < 0) {
        throw FormatError("negative pruned ngram id");
      }
      uint32_t slot = prune_slot(first);
      prune_keys_[slot] = first;
      prune_values_[slot] = second;
    }
  }

  // The slot of `id`, or of the empty slot where it would go.
  uint32_t prune_slot(int32_t id) const {
    uint32_t slot = (uint32_t(id) * 2654435761u) & prune_mask_;  // Knuth's multiplier
    while (prune_keys_[slot] != -1 && prune_keys_[slot] != id) {
      slot = (slot + 1) & prune_mask_;
    }
    return slot;
  }

  // Dictionary::pushHash, calling `add` with the input row instead of appending it.
  template <typename Add>
  void push_hash(int32_t id, Add& add) const {
    if (pruneidx_size_ == 0 || id < 0) {
      return;
    }
    if (pruneidx_size_ > 0) {
      uint32_t slot = prune_slot(id);
      if (prune_keys_[slot] == -1) {
        return;
      }
      id = prune_values_[slot];
    }
    add(nwords_ + id);
  }

  // Dictionary::computeSubwords over `word` (already "<" + token + ">"): every
  // character ngram of minn..maxn characters (a UTF-8 character's continuation bytes
  // stay with it), but not the lone "<" or ">".
  template <typename Add>
  void compute_subwords(const std::string& word, Add& add) const {
    const size_t size = word.size(), maxn = maxn_, minn = minn_;
    for (size_t i = 0; i < size; i++) {
      if (is_continuation(word[i])) {
        continue;
      }
      uint32_t h = kFnvOffset;
      for (size_t j = i, n = 1; j < size && n <= maxn; n++) {
        h = fnv_step(h, word[j++]);
        while (j < size && is_continuation(word[j])) {
          h = fnv_step(h, word[j++]);
        }
        if (n >= minn && !(n == 1 && (i == 0 || j == size))) {
          push_hash(int32_t(h % uint32_t(bucket_)), add);
        }
      }
    }
  }

  // Dictionary::initNgrams: each entry's own id, then its subwords (none for EOS).
  void init_ngrams() {
    subwords_start_.push_back(0);
    for (size_t i = 0; i < words_.size(); i++) {
      subwords_.push_back(int32_t(i));
      if (words_[i] != kEos) {
        auto add = [this](int32_t row) { subwords_.push_back(row); };
        compute_subwords("<" + words_[i] + ">", add);
      }
      subwords_start_.push_back(subwords_.size());
    }
  }

  // Dictionary::load's word2int_: ceil(size / 0.7) slots, linear probing from
  // hash % slots; a later equal word takes the earlier one's slot.
  void init_word2int(int32_t size) {
    int32_t slots = std::ceil(size / 0.7);
    word2int_.assign(slots, -1);
    for (int32_t i = 0; i < size; i++) {
      word2int_[find(words_[i].data(), words_[i].size(), word_hashes_[i])] = i;
    }
  }

  // Dictionary::find: the slot of the word, or the empty slot where it would go.
  int32_t find(const char* w, size_t n, uint32_t h) const {
    int32_t slots = word2int_.size();
    int32_t id = h % slots;
    while (word2int_[id] != -1 && !equals(words_[word2int_[id]], w, n)) {
      id = (id + 1) % slots;
    }
    return id;
  }

  static bool equals(const std::string& word, const char* w, size_t n) {
    return word.size() == n && std::memcmp(word.data(), w, n) == 0;
  }

  void load_input(Reader& in) {
    if (!in.value<bool>()) {
      throw FormatError("only quantized input matrices are implemented");
    }
    qnorm_ = in.value<bool>();
    input_rows_ = in.value<int64_t>();
    int64_t cols = in.value<int64_t>();
    int32_t codesize = in.value<int32_t>();
    if (cols != dim_ || input_rows_ < nwords_ || codesize < 0) {
      throw FormatError("inconsistent input matrix");
    }
    codes_.resize(codesize);
    in.bytes(codes_.data(), codes_.size());
    pq_.load(in);
    if (pq_.dim != dim_ || int64_t(pq_.nsubq) * input_rows_ != codesize) {
      throw FormatError("inconsistent input quantizer");
    }
    if (qnorm_) {
      norm_codes_.resize(input_rows_);
      in.bytes(norm_codes_.data(), norm_codes_.size());
      npq_.load(in);
      if (npq_.dim != 1) {
        throw FormatError("inconsistent norm quantizer");
      }
    }
    check_rows();
  }

  // Every row a line can reach exists (so no lookup can read past the matrix).
  void check_rows() const {
    int64_t reachable = maxn_ > 0 ? bucket_ : 0;
    if (pruneidx_size_ > 0) {
      reachable = 0;
      for (size_t s = 0; s < prune_keys_.size(); s++) {
        if (prune_keys_[s] != -1) {
          reachable = std::max<int64_t>(reachable, int64_t(prune_values_[s]) + 1);
        }
      }
    } else if (pruneidx_size_ == 0) {
      reachable = 0;
    }
    if (nwords_ + reachable > input_rows_) {
      throw FormatError("the input matrix has fewer rows than the dictionary needs");
    }
  }

  void load_output(Reader& in) {
    if (in.value<bool>()) {
      throw FormatError("only dense output matrices are implemented");
    }
    output_rows_ = in.value<int64_t>();
    int64_t cols = in.value<int64_t>();
    if (output_rows_ != nlabels_ || cols != dim_) {
      throw FormatError("inconsistent output matrix");
    }
    output_.resize(output_rows_ * cols);
    in.bytes(output_.data(), output_.size() * sizeof(float));
  }

  // HierarchicalSoftmaxLoss::buildTree: the Huffman tree of the label counts.
  void build_tree() {
    osz_ = nlabels_;
    tree_.assign(2 * osz_ - 1, TreeNode{-1, -1, -1, int64_t(1e15), false});
    for (int32_t i = 0; i < osz_; i++) {
      tree_[i].count = label_counts_[i];
    }
    int32_t leaf = osz_ - 1;
    int32_t node = osz_;
    for (int32_t i = osz_; i < 2 * osz_ - 1; i++) {
      int32_t mini[2] = {0};
      for (int32_t j = 0; j < 2; j++) {
        if (leaf >= 0 && tree_[leaf].count < tree_[node].count) {
          mini[j] = leaf--;
        } else {
          mini[j] = node++;
        }
      }
      tree_[i].left = mini[0];
      tree_[i].right = mini[1];
      tree_[i].count = tree_[mini[0]].count + tree_[mini[1]].count;
      tree_[mini[0]].parent = i;
      tree_[mini[1]].parent = i;
      tree_[mini[1]].binary = true;
    }
  }

  // QuantMatrix::addRowToVector: the row's norm, then ProductQuantizer::addcode.
  void add_row(float* hidden, int32_t row) const {
    float norm = 1;
    if (qnorm_) {
      norm = npq_.get_centroids(0, norm_codes_[row])[0];
    }
    pq_.addcode(hidden, codes_.data(), row, norm);
  }

  static bool is_separator(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' ||
           c == '\0';
  }

  // Dictionary::getLine + Model::computeHidden's sum: each word's input rows are
  // added to `hidden` as getLine would list them. Returns how many rows were added.
  int64_t read_line(const char* text, size_t len, float* hidden) const {
    int64_t rows = 0;
    auto add = [&](int32_t row) {
      add_row(hidden, row);
      rows++;
    };
    std::string bracketed;  // "<" + token + ">", reused from word to word
    size_t i = 0;
    while (true) {
      while (i < len && is_separator(text[i])) {
        i++;
      }
      if (i == len) {  // the newline the wrapper appends: the end-of-sentence word
        add_token(kEos.data(), kEos.size(), bracketed, add);
        return rows;
      }
      size_t start = i;
      while (i < len && !is_separator(text[i])) {
        i++;
      }
      if (add_token(text + start, i - start, bracketed, add)) {
        return rows;  // "</s>" in the text ends the line, as the newline does
      }
    }
  }

  // One token of Dictionary::getLine. Returns whether it was the end of the line.
  template <typename Add>
  bool add_token(const char* token, size_t n, std::string& bracketed, Add& add) const {
    int32_t wid = word2int_[find(token, n, fnv(token, n))];
    bool is_eos = n == kEos.size() && std::memcmp(token, kEos.data(), n) == 0;
    bool is_label = wid < 0 ? n >= kLabelPrefix.size() &&
                                  std::memcmp(token, kLabelPrefix.data(),
                                              kLabelPrefix.size()) == 0
                            : types_[wid] == kTypeLabel;
    if (is_label) {
      return is_eos;  // labels in the text are skipped (training reads them)
    }
    if (wid < 0) {  // out of vocabulary: its character ngrams
      if (!is_eos) {
        bracketed.assign("<");
        bracketed.append(token, n);
        bracketed.push_back('>');
        compute_subwords(bracketed, add);
      }
    } else if (maxn_ <= 0) {
      add(wid);
    } else {
      for (size_t s = subwords_start_[wid]; s < subwords_start_[wid + 1]; s++) {
        add(subwords_[s]);
      }
    }
    return is_eos;
  }

  // DenseMatrix::dotRow
  float dot_row(const float* vec, int64_t i) const {
    float d = 0.0;
    const float* row = &output_[i * dim_];
    for (int64_t j = 0; j < dim_; j++) {
      d += row[j] * vec[j];
    }
    if (std::isnan(d)) {
      throw std::runtime_error("Encountered NaN.");
    }
    return d;
  }

  // HierarchicalSoftmaxLoss::dfs: the k most likely leaves, in a heap.
  void dfs(int32_t k, float threshold, int32_t node, float score,
           std::vector<Prediction>& heap, const float* hidden) const {
    if (score < std_log(threshold)) {
      return;
    }
    if (heap.size() == size_t(k) && score < heap.front().first) {
      return;
    }
    if (tree_[node].left == -1 && tree_[node].right == -1) {
      heap.push_back(std::make_pair(score, node));
      std::push_heap(heap.begin(), heap.end(), compare_pairs);
      if (heap.size() > size_t(k)) {
        std::pop_heap(heap.begin(), heap.end(), compare_pairs);
        heap.pop_back();
      }
      return;
    }
    float f = dot_row(hidden, node - osz_);
    f = 1. / (1 + std::exp(-f));
    dfs(k, threshold, tree_[node].left, score + std_log(1.0 - f), heap, hidden);
    dfs(k, threshold, tree_[node].right, score + std_log(f), heap, hidden);
  }
};

// ---------------------------------------------------------------------------
// Python: `load(path) -> Model`, `Model.predict(text, k=1, threshold=0.0)`.

struct PyModel {
  PyObject_HEAD Model* model;
};

void model_dealloc(PyObject* self) {
  delete reinterpret_cast<PyModel*>(self)->model;
  Py_TYPE(self)->tp_free(self);
}

// The C++ exception being handled, as a Python exception (unless one is set already).
void set_python_error() {
  if (PyErr_Occurred()) {
    return;
  }
  try {
    throw;
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
  } catch (const FormatError& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const std::invalid_argument& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
}

// (label, probability) pairs, best first; probabilities are exp of the float scores,
// as FastText::predictLine computes them.
PyObject* predictions_list(const Model& model, const std::vector<Prediction>& heap) {
  PyObject* out = PyList_New(heap.size());
  if (out == nullptr) {
    return nullptr;
  }
  for (size_t i = 0; i < heap.size(); i++) {
    const std::string& label = model.label(heap[i].second);
    float probability = std::exp(heap[i].first);
    PyObject* pair = Py_BuildValue("(s#d)", label.data(), Py_ssize_t(label.size()),
                                   double(probability));
    if (pair == nullptr) {
      Py_DECREF(out);
      return nullptr;
    }
    PyList_SET_ITEM(out, i, pair);
  }
  return out;
}

PyObject* model_predict(PyObject* self, PyObject* args, PyObject* kwargs) {
  static const char* keywords[] = {"text", "k", "threshold", nullptr};
  PyObject* text;
  int k = 1;
  float threshold = 0.0f;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "U|if:predict",
                                   const_cast<char**>(keywords), &text, &k, &threshold)) {
    return nullptr;
  }
  Py_ssize_t len;
  const char* utf8 = PyUnicode_AsUTF8AndSize(text, &len);
  if (utf8 == nullptr) {
    return nullptr;
  }
  if (std::memchr(utf8, '\n', len) != nullptr) {  // FastText.predict's check
    PyErr_SetString(PyExc_ValueError, "predict processes one line at a time (remove '\\n')");
    return nullptr;
  }
  const Model& model = *reinterpret_cast<PyModel*>(self)->model;
  try {
    return predictions_list(model, model.predict(utf8, len, k, threshold));
  } catch (...) {
    set_python_error();
    return nullptr;
  }
}

PyMethodDef model_methods[] = {
    {"predict", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(model_predict)),
     METH_VARARGS | METH_KEYWORDS,
     "predict(text, k=1, threshold=0.0) -> list of (label, probability), best first"},
    {nullptr, nullptr, 0, nullptr}};

PyTypeObject ModelType = {PyVarObject_HEAD_INIT(nullptr, 0)};

PyObject* load(PyObject*, PyObject* arg) {
  PyObject* path_bytes;
  if (!PyUnicode_FSConverter(arg, &path_bytes)) {
    return nullptr;
  }
  PyModel* self = PyObject_New(PyModel, &ModelType);
  if (self == nullptr) {
    Py_DECREF(path_bytes);
    return nullptr;
  }
  self->model = nullptr;
  try {
    self->model = new Model(Reader(read_file(PyBytes_AS_STRING(path_bytes))));
  } catch (...) {
    set_python_error();
  }
  Py_DECREF(path_bytes);
  if (self->model == nullptr) {
    Py_DECREF(self);
    return nullptr;
  }
  return reinterpret_cast<PyObject*>(self);
}

PyMethodDef module_methods[] = {
    {"load", load, METH_O, "load(path) -> Model: read a fastText lid.176-like model file"},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "_lid",
                          "builder's reader of fastText's lid.176 language model.", -1,
                          module_methods};

}  // namespace

PyMODINIT_FUNC PyInit__lid() {
  ModelType.tp_name = "builder.parse._lid.Model";
  ModelType.tp_basicsize = sizeof(PyModel);
  ModelType.tp_flags = Py_TPFLAGS_DEFAULT;
  ModelType.tp_doc = "A loaded fastText model (see load).";
  ModelType.tp_dealloc = model_dealloc;
  ModelType.tp_methods = model_methods;
  if (PyType_Ready(&ModelType) < 0) {
    return nullptr;
  }
  PyObject* module = PyModule_Create(&module_def);
  if (module == nullptr) {
    return nullptr;
  }
  Py_INCREF(&ModelType);
  if (PyModule_AddObject(module, "Model", reinterpret_cast<PyObject*>(&ModelType)) < 0) {
    Py_DECREF(&ModelType);
    Py_DECREF(module);
    return nullptr;
  }
  return module;
}
