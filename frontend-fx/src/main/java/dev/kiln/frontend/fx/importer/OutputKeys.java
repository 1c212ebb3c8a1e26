package dev.kiln.frontend.fx.importer;

import dev.kiln.frontend.fx.serde.Json;
import dev.kiln.ir.KilnException;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The key of each tensor a program returns, read from the pytree spec torch.export keeps of {@code forward()}'s
 * result: {@code {'logits': y}} gives {@code logits}, a tuple under key {@code aux} gives {@code aux_0, aux_1},
 * nested dicts {@code outer_inner}. A container counts as keyed when its context is the list of its children's
 * string keys, as a dict's is. A tensor under no key (returned alone, or an element of a top-level tuple) has none.
 * The same names the TorchScript frontend gives a returned dict's values.
 *
 * <p>The spec is {@code [1, node]}, a node {@code {"type": ..., "context": "<JSON text>", "children_spec": [...]}}
 * and a leaf a node of type {@code null}. Only names come from it: a spec Kiln cannot read gives no names rather
 * than refusing a program whose outputs it imports fine.
 */
final class OutputKeys {
    private final List<Optional<String>> keys = new ArrayList<>();

    private OutputKeys() {
    }

    /** The key of every leaf of {@code outSpec} in order, or an empty list where there is no spec or it cannot be read. */
    static List<Optional<String>> of(Optional<String> outSpec) {
        if (outSpec.isEmpty()) {
            return List.of();
        }
        OutputKeys k = new OutputKeys();
        try {
            Json spec = Json.parse(outSpec.get(), "out_spec");
            if (!spec.isArray() || spec.list().size() != 2 || spec.list().get(0).integer() != 1) {
                return List.of(); // another pytree serialization protocol
            }
            k.walk(spec.list().get(1), null);
        } catch (KilnException e) {
            return List.of();
        }
        return List.copyOf(k.keys);
    }

    private void walk(Json node, String key) {
        if (node.optField("type").isEmpty()) {
            keys.add(Optional.ofNullable(key));
            return;
        }
        List<Json> children = node.field("children_spec").list();
        List<String> names = childKeys(node, children.size());
        for (int i = 0; i < children.size(); i++) {
            String child;
            if (names != null) {
                child = key == null ? names.get(i) : key + "_" + names.get(i);
            } else {
                child = key == null ? null : key + "_" + i;
            }
            walk(children.get(i), child);
        }
    }

    /** The keys of a container's children: its context, when that is a list of as many strings. */
    private static List<String> childKeys(Json node, int count) {
        Optional<Json> context = node.optField("context");
        if (context.isEmpty() || !context.get().isString()) {
            return null;
        }
        Json c = Json.parse(context.get().string(), "context");
        if (!c.isArray()) {
            return null; // a tuple's or list's "null"
        }
        List<String> names = new ArrayList<>();
        for (Json e : c.list()) {
            if (!e.isString()) {
                return null; // the keys of a dict of ints
            }
            names.add(e.string());
        }
        return names.size() == count ? names : null;
    }
}
