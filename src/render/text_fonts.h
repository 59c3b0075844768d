#pragma once
// Fonts for text overlays (internal to the render module): fontconfig picks faces and
// the fallback chain, FreeType loads and rasterizes them, HarfBuzz shapes with them.
// Not thread-safe: one TextFonts per TextRenderer, one TextRenderer per thread.
#include <fontconfig/fontconfig.h>
#include <ft2build.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>
#include FT_FREETYPE_H
#include FT_STROKER_H
#include <hb.h>

namespace kino::render {

// One opened face (a file and a face index inside it), shared by every chain using it.
struct TextFace {
  int id = 0;
  FT_Face ft = nullptr;
  hb_font_t* hb = nullptr;
  FcCharSet* charset = nullptr;  // owned reference
  bool scalable = true;
  bool color = false;  // has colour glyphs (CBDT/sbix bitmaps or COLR layers)
  int size_26_6 = 0;   // the pixel size currently set on `ft`, 26.6
  double scale = 1.0;  // bitmap-only faces: requested size / selected strike's ppem
};

// What a run of text is shaped and drawn with.
struct TextFont {
  TextFace* face = nullptr;
  bool embolden = false;  // synthetic bold (the family has no bold face)
  friend bool operator==(const TextFont&, const TextFont&) = default;
};

// A rasterized glyph, positioned relative to its pen position (x right, y down).
struct TextGlyphBitmap {
  int left = 0;  // x of the bitmap's first column
  int top = 0;   // rows above the baseline of the first row
  int width = 0;
  int height = 0;
  bool color = false;           // premultiplied RGBA (4 bytes a pixel), else coverage (1)
  std::vector<uint8_t> pixels;  // rows packed, no padding
};

class TextFonts {
 public:
  static constexpr int kSubpixelSteps = 4;          // horizontal glyph phases
  static constexpr size_t kMaxChainFaces = 48;      // fallback faces considered per chain
  static constexpr size_t kMaxChains = 64;          // family/weight lists kept; cleared when over
  static constexpr size_t kCacheBytes = 48u << 20;  // glyph cache budget; cleared when over
  static constexpr const char* kCjkLang = "zh-cn";  // Han/kana prefer this language's face

  TextFonts();
  ~TextFonts();
  TextFonts(const TextFonts&) = delete;
  TextFonts& operator=(const TextFonts&) = delete;

  // Sets the em size in pixels for everything that follows.
  void set_size(double px);
  double size() const { return size_px_; }

  // The face for `c` under the family (fontconfig family list, comma separated) and
  // weight: the first face of fontconfig's sorted list that covers it (CJK characters
  // use a list sorted for kCjkLang; emoji-presentation characters and characters followed
  // by U+FE0F prefer a colour face, unless U+FE0E follows).
  // Uncovered characters get the first face (its .notdef glyph). Sized to size().
  TextFont font_for(const std::string& family, bool bold, char32_t c, char32_t next);
  // The family's first face: line metrics come from it.
  TextFont primary(const std::string& family, bool bold);
  static bool covers(const TextFont& font, char32_t c);

  // Ascent and descent (both >= 0) in pixels at size().
  void metrics(const TextFont& font, double* ascent, double* descent) const;
  // Horizontal advance added to each glyph of an emboldened font, pixels.
  double embolden_advance() const { return size_px_ / 24.0; }

  // The glyph's coverage (or colour) bitmap at size() and horizontal phase
  // (0..kSubpixelSteps-1). stroke_px > 0 gives the glyph grown by that radius (the
  // area an outline covers, fill included) as coverage, also for colour glyphs.
  std::shared_ptr<const TextGlyphBitmap> glyph(const TextFont& font, uint32_t glyph_id, int phase,
                                               double stroke_px);

 private:
  struct ChainEntry {
    std::string file;
    int index = 0;
    bool embolden = false;
    bool color = false;
    FcCharSet* charset = nullptr;  // owned reference
    TextFace* face = nullptr;      // opened on first use
    bool failed = false;           // could not be opened; skipped
  };
  struct Chain {
    std::vector<ChainEntry> entries;
    std::unordered_map<char32_t, int> chosen;  // code point -> entry
  };
  struct GlyphKey {
    int face;
    uint32_t glyph;
    int size_26_6;
    int stroke_26_6;
    uint8_t phase;
    bool embolden;
    friend bool operator==(const GlyphKey&, const GlyphKey&) = default;
  };
  struct GlyphKeyHash {
    size_t operator()(const GlyphKey& k) const;
  };

  Chain& chain(const std::string& family, bool bold, bool cjk);
  TextFont entry_font(ChainEntry& e);
  TextFace* open_face(const std::string& file, int index, FcCharSet* charset);
  void apply_size(TextFace* face);
  TextGlyphBitmap rasterize(const TextFont& font, uint32_t glyph_id, int phase, double stroke_px);

  FT_Library library_ = nullptr;
  FT_Stroker stroker_ = nullptr;
  double size_px_ = 64;
  std::map<std::string, std::unique_ptr<Chain>> chains_;
  std::map<std::string, std::unique_ptr<TextFace>> faces_;  // by "file#index"
  std::unordered_map<GlyphKey, std::shared_ptr<const TextGlyphBitmap>, GlyphKeyHash> glyphs_;
  size_t glyph_bytes_ = 0;
};

}  // namespace kino::render
