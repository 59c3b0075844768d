#pragma once
// Tensor names of the Wan DiT in the layouts people download, mapped onto one internal naming:
// the official Wan names (spec §5.2), bare. ComfyUI single files use the official names with or
// without a `model.diffusion_model.` prefix; the diffusers layout renames modules (§5.3).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kino::gen {

enum class WeightLayout { official, comfy, diffusers };

std::string_view weight_layout_name(WeightLayout layout);  // "official", "comfy", "diffusers"
std::optional<WeightLayout> weight_layout_parse(std::string_view name);

// The internal name of a DiT tensor given in any supported layout. Companion tensors keep their
// leaf: "blocks.0.ffn.net.0.proj.scale_weight" -> "blocks.0.ffn.0.scale_weight".
std::string wan_dit_internal_name(std::string_view name);

// The layout a list of DiT tensor names is written in (prefix -> comfy, renamed modules ->
// diffusers, else official).
WeightLayout wan_dit_layout(const std::vector<std::string>& names);

// True for tensors that only accompany others (fp8 scales and markers), never weights themselves.
bool is_companion_tensor(std::string_view internal_name);

}  // namespace kino::gen
