#include "render/text_fonts.h"

#include <hb-ft.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <mutex>

#include FT_BITMAP_H
#include FT_GLYPH_H
#include FT_OUTLINE_H

#include "core/error.h"
#include "render/text_unicode.h"

namespace kino::render {
namespace {

// Reads row y (top first) of a FreeType bitmap whatever the sign of its pitch.
const uint8_t* bitmap_row(const FT_Bitmap& b, int y) {
  const int pitch = b.pitch;
  if (pitch >= 0) return b.buffer + size_t(y) * size_t(pitch);
  return b.buffer + size_t(int(b.rows) - 1 - y) * size_t(-pitch);
}

// Copies a FreeType bitmap: gray and mono become coverage, BGRA (premultiplied)
// becomes premultiplied RGBA.
TextGlyphBitmap copy_bitmap(const FT_Bitmap& b, int left, int top) {
  TextGlyphBitmap out;
  out.left = left;
  out.top = top;
  out.width = int(b.width);
  out.height = int(b.rows);
  if (out.width <= 0 || out.height <= 0 || !b.buffer) return TextGlyphBitmap{};
  const size_t n = size_t(out.width) * size_t(out.height);
  if (b.pixel_mode == FT_PIXEL_MODE_BGRA) {
    out.color = true;
    out.pixels.resize(n * 4);
    for (int y = 0; y < out.height; ++y) {
      const uint8_t* s = bitmap_row(b, y);
      uint8_t* d = out.pixels.data() + size_t(y) * size_t(out.width) * 4;
      for (int x = 0; x < out.width; ++x) {
        d[4 * x] = s[4 * x + 2];
        d[4 * x + 1] = s[4 * x + 1];
        d[4 * x + 2] = s[4 * x];
        d[4 * x + 3] = s[4 * x + 3];
      }
    }
    return out;
  }
  out.pixels.resize(n);
  for (int y = 0; y < out.height; ++y) {
    const uint8_t* s = bitmap_row(b, y);
    uint8_t* d = out.pixels.data() + size_t(y) * size_t(out.width);
    if (b.pixel_mode == FT_PIXEL_MODE_GRAY) {
      const int grays = std::max(2, int(b.num_grays));
      for (int x = 0; x < out.width; ++x)
        d[x] = grays == 256 ? s[x] : uint8_t(s[x] * 255 / (grays - 1));
    } else if (b.pixel_mode == FT_PIXEL_MODE_MONO) {
      for (int x = 0; x < out.width; ++x) d[x] = (s[x >> 3] & (0x80 >> (x & 7))) ? 255 : 0;
    } else {
      return TextGlyphBitmap{};  // LCD and other modes are never requested
    }
  }
  return out;
}

// Resampling weights for one axis: box filter when shrinking, linear when enlarging.
struct Tap {
  int src;
  float w;
};
std::vector<std::vector<Tap>> resample_taps(int src, int dst) {
  std::vector<std::vector<Tap>> taps(static_cast<size_t>(dst));
  const double s = double(dst) / src;
  for (int i = 0; i < dst; ++i) {
    auto& t = taps[size_t(i)];
    if (s <= 1.0) {
      const double a = i / s, b = (i + 1) / s;
      double sum = 0;
      for (int j = int(std::floor(a)); j < int(std::ceil(b)) && j < src; ++j) {
        const double w = std::min(b, j + 1.0) - std::max(a, double(j));
        if (w > 0) t.push_back({j, float(w)}), sum += w;
      }
      for (auto& tap : t) tap.w = float(tap.w / sum);
    } else {
      const double c = (i + 0.5) / s - 0.5;
      const int j0 = int(std::floor(c));
      const float f = float(c - j0);
      t.push_back({std::clamp(j0, 0, src - 1), 1 - f});
      t.push_back({std::clamp(j0 + 1, 0, src - 1), f});
    }
  }
  return taps;
}

// Scales a premultiplied RGBA glyph by `scale` (bitmap-only colour fonts).
TextGlyphBitmap scale_color(const TextGlyphBitmap& in, double scale) {
  if (in.width == 0 || std::abs(scale - 1.0) < 1e-6) return in;
  TextGlyphBitmap out;
  out.color = true;
  out.width = std::max(1, int(std::lround(in.width * scale)));
  out.height = std::max(1, int(std::lround(in.height * scale)));
  out.left = int(std::lround(in.left * scale));
  out.top = int(std::lround(in.top * scale));
  const auto tx = resample_taps(in.width, out.width);
  const auto ty = resample_taps(in.height, out.height);
  std::vector<float> mid(size_t(out.width) * size_t(in.height) * 4);
  for (int y = 0; y < in.height; ++y) {
    const uint8_t* s = in.pixels.data() + size_t(y) * size_t(in.width) * 4;
    float* d = mid.data() + size_t(y) * size_t(out.width) * 4;
    for (int x = 0; x < out.width; ++x)
      for (const Tap& t : tx[size_t(x)])
        for (int c = 0; c < 4; ++c) d[4 * x + c] += t.w * s[4 * t.src + c];
  }
  out.pixels.resize(size_t(out.width) * size_t(out.height) * 4);
  for (int y = 0; y < out.height; ++y) {
    uint8_t* d = out.pixels.data() + size_t(y) * size_t(out.width) * 4;
    for (int x = 0; x < out.width * 4; ++x) {
      float v = 0;
      for (const Tap& t : ty[size_t(y)])
        v += t.w * mid[(size_t(t.src) * size_t(out.width)) * 4 + x];
      d[x] = uint8_t(std::clamp(std::lround(v), 0L, 255L));
    }
  }
  return out;
}

// The colour glyph's alpha grown by `radius` pixels (a disc, anti-aliased at its rim):
// the area an outline around an emoji covers.
TextGlyphBitmap dilate_alpha(const TextGlyphBitmap& in, double radius) {
  const int r = int(std::ceil(radius + 0.5));
  TextGlyphBitmap out;
  out.width = in.width + 2 * r;
  out.height = in.height + 2 * r;
  out.left = in.left - r;
  out.top = in.top + r;
  out.pixels.assign(size_t(out.width) * size_t(out.height), 0);
  struct Off {
    int dx, dy;
    float w;
  };
  std::vector<Off> disc;
  for (int dy = -r; dy <= r; ++dy)
    for (int dx = -r; dx <= r; ++dx) {
      const float w = std::clamp(float(radius + 0.5 - std::hypot(dx, dy)), 0.0f, 1.0f);
      if (w > 0) disc.push_back({dx, dy, w});
    }
  for (int y = 0; y < in.height; ++y)
    for (int x = 0; x < in.width; ++x) {
      const uint8_t a = in.pixels[(size_t(y) * size_t(in.width) + size_t(x)) * 4 + 3];
      if (a == 0) continue;
      for (const Off& o : disc) {
        uint8_t& d = out.pixels[size_t(y + r + o.dy) * size_t(out.width) + size_t(x + r + o.dx)];
        d = std::max(d, uint8_t(a * o.w + 0.5f));
      }
    }
  return out;
}

std::string trim(std::string s) {
  const auto not_space = [](unsigned char ch) { return !std::isspace(ch); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

}  // namespace

size_t TextFonts::GlyphKeyHash::operator()(const GlyphKey& k) const {
  uint64_t h = uint64_t(k.face) * 0x9E3779B97F4A7C15ull;
  h ^= (uint64_t(k.glyph) + 0x7F4A7C15ull + (h << 6) + (h >> 2));
  h ^= (uint64_t(uint32_t(k.size_26_6)) << 32 | uint32_t(k.stroke_26_6)) + (h << 6) + (h >> 2);
  h ^= (uint64_t(k.phase) << 1 | uint64_t(k.embolden)) + (h << 6) + (h >> 2);
  return size_t(h);
}

TextFonts::TextFonts() {
  static std::once_flag fc_once;
  static bool fc_ok = false;
  std::call_once(fc_once, [] { fc_ok = FcInit() == FcTrue; });
  if (!fc_ok) fail(ErrorCode::internal, "text: fontconfig failed to initialise");
  if (FT_Init_FreeType(&library_)) fail(ErrorCode::internal, "text: FreeType failed to initialise");
  if (FT_Stroker_New(library_, &stroker_)) {
    FT_Done_FreeType(library_);
    fail(ErrorCode::internal, "text: FreeType stroker failed to initialise");
  }
}

TextFonts::~TextFonts() {
  glyphs_.clear();
  for (auto& [key, chain] : chains_)
    for (auto& e : chain->entries) FcCharSetDestroy(e.charset);
  for (auto& [key, face] : faces_) {
    hb_font_destroy(face->hb);
    FT_Done_Face(face->ft);
    FcCharSetDestroy(face->charset);
  }
  FT_Stroker_Done(stroker_);
  FT_Done_FreeType(library_);
}

void TextFonts::set_size(double px) {
  size_px_ = px;
}

TextFonts::Chain& TextFonts::chain(const std::string& family, bool bold, bool cjk) {
  const std::string key = family + '\x1f' + (bold ? 'b' : 'r') + (cjk ? 'c' : 'l');
  if (auto it = chains_.find(key); it != chains_.end()) return *it->second;
  if (chains_.size() >= kMaxChains) {
    for (auto& [k, c] : chains_)
      for (auto& e : c->entries) FcCharSetDestroy(e.charset);
    chains_.clear();  // opened faces stay in faces_, so glyph cache keys stay valid
  }

  FcPattern* pat = FcPatternCreate();
  size_t start = 0;
  while (start <= family.size()) {
    size_t comma = family.find(',', start);
    if (comma == std::string::npos) comma = family.size();
    const std::string name = trim(family.substr(start, comma - start));
    if (!name.empty()) FcPatternAddString(pat, FC_FAMILY, (const FcChar8*)name.c_str());
    start = comma + 1;
  }
  FcPatternAddInteger(pat, FC_WEIGHT, bold ? FC_WEIGHT_BOLD : FC_WEIGHT_REGULAR);
  FcPatternAddInteger(pat, FC_SLANT, FC_SLANT_ROMAN);
  if (cjk) FcPatternAddString(pat, FC_LANG, (const FcChar8*)kCjkLang);
  FcConfigSubstitute(nullptr, pat, FcMatchPattern);
  FcDefaultSubstitute(pat);
  FcResult result = FcResultNoMatch;
  FcFontSet* set = FcFontSort(nullptr, pat, FcTrue, nullptr, &result);

  auto chain = std::make_unique<Chain>();
  for (int i = 0; set && i < set->nfont && chain->entries.size() < kMaxChainFaces; ++i) {
    FcPattern* font = FcFontRenderPrepare(nullptr, pat, set->fonts[i]);
    if (!font) continue;
    FcChar8* file = nullptr;
    FcCharSet* charset = nullptr;
    int index = 0;
    FcBool embolden = FcFalse, color = FcFalse;
    if (FcPatternGetString(font, FC_FILE, 0, &file) == FcResultMatch &&
        FcPatternGetCharSet(font, FC_CHARSET, 0, &charset) == FcResultMatch) {
      FcPatternGetInteger(font, FC_INDEX, 0, &index);
      FcPatternGetBool(font, FC_EMBOLDEN, 0, &embolden);
      FcPatternGetBool(font, FC_COLOR, 0, &color);
      ChainEntry e;
      e.file = reinterpret_cast<const char*>(file);
      e.index = index;
      e.embolden = bold && embolden;
      e.color = color;
      e.charset = FcCharSetCopy(charset);
      chain->entries.push_back(std::move(e));
    }
    FcPatternDestroy(font);
  }
  if (set) FcFontSetDestroy(set);
  FcPatternDestroy(pat);
  if (chain->entries.empty())
    fail(ErrorCode::internal, "text: fontconfig found no font for family \"" + family + "\"");
  return *chains_.emplace(key, std::move(chain)).first->second;
}

TextFace* TextFonts::open_face(const std::string& file, int index, FcCharSet* charset) {
  const std::string key = file + "#" + std::to_string(index);
  if (auto it = faces_.find(key); it != faces_.end()) return it->second.get();
  FT_Face ft = nullptr;
  if (FT_New_Face(library_, file.c_str(), index, &ft)) return nullptr;
  auto face = std::make_unique<TextFace>();
  face->id = int(faces_.size()) + 1;
  face->ft = ft;
  face->scalable = FT_IS_SCALABLE(ft);
  face->color = FT_HAS_COLOR(ft);
  if (!face->scalable && !(face->color && ft->num_fixed_sizes > 0)) {
    FT_Done_Face(ft);  // monochrome bitmap fonts do not scale to video sizes
    return nullptr;
  }
  face->hb = hb_ft_font_create_referenced(ft);
  hb_ft_font_set_load_flags(
      face->hb, FT_LOAD_DEFAULT | FT_LOAD_NO_HINTING | (face->color ? FT_LOAD_COLOR : 0));
  face->charset = FcCharSetCopy(charset);
  return faces_.emplace(key, std::move(face)).first->second.get();
}

void TextFonts::apply_size(TextFace* face) {
  const int s = int(std::lround(size_px_ * 64));
  if (face->size_26_6 == s) return;
  FT_Face ft = face->ft;
  if (face->scalable) {
    if (FT_Set_Char_Size(ft, 0, s, 72, 72))
      fail(ErrorCode::internal, "text: cannot set font size " + std::to_string(size_px_) + " px");
    face->scale = 1.0;
  } else {
    // The smallest strike at least as large as asked for, else the largest.
    int best = 0;
    for (int i = 1; i < ft->num_fixed_sizes; ++i) {
      const FT_Pos have = ft->available_sizes[best].y_ppem, cand = ft->available_sizes[i].y_ppem;
      const bool cand_ok = cand >= s, have_ok = have >= s;
      if ((cand_ok && (!have_ok || cand < have)) || (!cand_ok && !have_ok && cand > have)) best = i;
    }
    if (FT_Select_Size(ft, best))
      fail(ErrorCode::internal, "text: cannot select a bitmap strike of a colour font");
    face->scale = size_px_ / (std::max<FT_Pos>(1, ft->available_sizes[best].y_ppem) / 64.0);
  }
  hb_ft_font_changed(face->hb);
  face->size_26_6 = s;
}

TextFont TextFonts::entry_font(ChainEntry& e) {
  if (!e.face && !e.failed) {
    e.face = open_face(e.file, e.index, e.charset);
    e.failed = e.face == nullptr;
  }
  if (!e.face) return {};
  apply_size(e.face);
  return {e.face, e.embolden && e.face->scalable && !e.face->color};
}

TextFont TextFonts::font_for(const std::string& family, bool bold, char32_t c, char32_t next) {
  Chain& ch = chain(family, bold, text_is_cjk(c));
  const bool want_color = next == 0xFE0F || (next != 0xFE0E && text_is_emoji_presentation(c));
  if (want_color) {
    for (auto& e : ch.entries)
      if (e.color && FcCharSetHasChar(e.charset, c))
        if (TextFont f = entry_font(e); f.face) return f;
  }
  if (auto it = ch.chosen.find(c); it != ch.chosen.end()) return entry_font(ch.entries[it->second]);
  if (ch.chosen.size() > 65536) ch.chosen.clear();
  for (int pass = 0; pass < 2; ++pass) {
    // Pass 0: the first face covering c; pass 1: the first usable face (.notdef).
    for (size_t i = 0; i < ch.entries.size(); ++i) {
      ChainEntry& e = ch.entries[i];
      if (e.failed || (pass == 0 && !FcCharSetHasChar(e.charset, c))) continue;
      if (TextFont f = entry_font(e); f.face) {
        ch.chosen.emplace(c, int(i));
        return f;
      }
    }
  }
  fail(ErrorCode::internal, "text: no usable font file for family \"" + family + "\"");
}

TextFont TextFonts::primary(const std::string& family, bool bold) {
  for (auto& e : chain(family, bold, false).entries)
    if (TextFont f = entry_font(e); f.face) return f;
  fail(ErrorCode::internal, "text: no usable font file for family \"" + family + "\"");
}

bool TextFonts::covers(const TextFont& font, char32_t c) {
  return font.face && FcCharSetHasChar(font.face->charset, c);
}

void TextFonts::metrics(const TextFont& font, double* ascent, double* descent) const {
  const FT_Size_Metrics& m = font.face->ft->size->metrics;
  *ascent = std::abs(m.ascender / 64.0) * font.face->scale;
  *descent = std::abs(m.descender / 64.0) * font.face->scale;
  if (*ascent + *descent <= 0) *ascent = size_px_ * 0.8, *descent = size_px_ * 0.2;
}

std::shared_ptr<const TextGlyphBitmap> TextFonts::glyph(const TextFont& font, uint32_t glyph_id,
                                                        int phase, double stroke_px) {
  TextFace* face = font.face;
  apply_size(face);
  if (face->color || !face->scalable) phase = 0;
  const GlyphKey key{face->id,
                     glyph_id,
                     face->size_26_6,
                     stroke_px > 0 ? int(std::lround(stroke_px * 64)) : 0,
                     uint8_t(std::clamp(phase, 0, kSubpixelSteps - 1)),
                     font.embolden};
  if (auto it = glyphs_.find(key); it != glyphs_.end()) return it->second;
  auto bitmap = std::make_shared<const TextGlyphBitmap>(
      rasterize(font, glyph_id, key.phase, key.stroke_26_6 / 64.0));
  const size_t bytes = bitmap->pixels.size() + sizeof(TextGlyphBitmap) + 64;
  if (glyph_bytes_ + bytes > kCacheBytes) {
    glyphs_.clear();
    glyph_bytes_ = 0;
  }
  glyphs_.emplace(key, bitmap);
  glyph_bytes_ += bytes;
  return bitmap;
}

TextGlyphBitmap TextFonts::rasterize(const TextFont& font, uint32_t glyph_id, int phase,
                                     double stroke_px) {
  TextFace* face = font.face;
  FT_Face ft = face->ft;
  FT_Int32 flags = FT_LOAD_NO_HINTING;
  flags |= face->color ? FT_LOAD_COLOR : FT_LOAD_NO_BITMAP;
  if (FT_Load_Glyph(ft, glyph_id, flags)) return {};  // a broken glyph draws nothing
  FT_GlyphSlot slot = ft->glyph;

  if (slot->format == FT_GLYPH_FORMAT_OUTLINE) {
    if (font.embolden) {
      const FT_Pos strength = std::lround(embolden_advance() * 64);
      FT_Outline_EmboldenXY(&slot->outline, strength, strength);
    }
    if (phase) FT_Outline_Translate(&slot->outline, phase * 64 / kSubpixelSteps, 0);
    if (stroke_px > 0 && !face->color) {
      FT_Glyph g = nullptr;
      if (FT_Get_Glyph(slot, &g)) return {};
      FT_Stroker_Set(stroker_, std::lround(stroke_px * 64), FT_STROKER_LINECAP_ROUND,
                     FT_STROKER_LINEJOIN_ROUND, 0);
      TextGlyphBitmap out;
      if (!FT_Glyph_StrokeBorder(&g, stroker_, /*inside=*/false, /*destroy=*/true) &&
          !FT_Glyph_To_Bitmap(&g, FT_RENDER_MODE_NORMAL, nullptr, /*destroy=*/true)) {
        auto* bg = reinterpret_cast<FT_BitmapGlyph>(g);
        out = copy_bitmap(bg->bitmap, bg->left, bg->top);
      }
      FT_Done_Glyph(g);
      return out;
    }
    if (FT_Render_Glyph(slot, FT_RENDER_MODE_NORMAL)) return {};
  } else if (slot->format != FT_GLYPH_FORMAT_BITMAP) {
    return {};
  }
  TextGlyphBitmap out = copy_bitmap(slot->bitmap, slot->bitmap_left, slot->bitmap_top);
  if (out.color) {
    out = scale_color(out, face->scale);
    if (stroke_px > 0) out = dilate_alpha(out, stroke_px);
  }
  return out;
}

}  // namespace kino::render

#if defined(__SANITIZE_ADDRESS__)
// fontconfig (2.14) loses a few bytes while parsing its XML configuration, once per
// process; that is not kino's to fix, and LeakSanitizer would fail every test that draws
// text. Weak, so another module may provide the process's suppression list instead.
extern "C" __attribute__((weak)) const char* __lsan_default_suppressions() {
  return "leak:libfontconfig.so\n";
}
#endif
