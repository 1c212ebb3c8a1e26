package dev.kiln.bench;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Counts in TensorRT's engine inspector JSON ({@code {"Layers": [...], "Bindings": [...]}}; a layer is a
 * name string at the default profiling verbosity, or an object with {@code Name} and {@code LayerType}
 * at detailed verbosity): all layers, fused ones (TensorRT joins the names of fused layers with
 * {@code " + "}), Myelin regions ({@code ForeignNode}) and reformatting layers (copies TensorRT adds
 * between layouts or types).
 *
 * <pre>{@code LayerSummary s = LayerSummary.of(mapper.readTree(inspectorJson)); s.fused()}</pre>
 *
 * @param layers    layers in the engine
 * @param fused     layers whose name joins several with " + "
 * @param foreign   Myelin regions
 * @param reformats reformatting copies
 */
public record LayerSummary(int layers, int fused, int foreign, int reformats) {

    public static LayerSummary of(JsonNode inspector) {
        int layers = 0;
        int fused = 0;
        int foreign = 0;
        int reformats = 0;
        for (JsonNode l : inspector.path("Layers")) {
            String name = l.isTextual() ? l.asText() : l.path("Name").asText("");
            String type = l.isTextual() ? "" : l.path("LayerType").asText("");
            layers++;
            if (name.contains(" + ")) {
                fused++;
            }
            if (name.contains("ForeignNode") || type.contains("Myelin")) {
                foreign++;
            }
            if (type.equals("Reformat") || name.startsWith("Reformatting CopyNode")) {
                reformats++;
            }
        }
        return new LayerSummary(layers, fused, foreign, reformats);
    }
}
