package dev.kiln.frontend.fx.importer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The keys of a program's outputs, from pytree specs torch 2.11 wrote ({@code output_specs.json}, written by
 * {@code tools/fixtures/output_specs.py} on the GPU machine): {@code specs} are {@code treespec_dumps} of results
 * of each shape, {@code exported} the {@code out_spec} and named tuple fields of programs torch.export saved.
 */
class OutputKeysTest {
    private static final JsonNode SPECS = read();

    private static JsonNode read() {
        try (InputStream in = OutputKeysTest.class.getResourceAsStream("/output_specs.json")) {
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** {@code -} is a tensor under no key. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "specs    | tensor        | -",
        "specs    | tuple         | -,-",
        "specs    | dict          | logits,hidden",
        "specs    | nested        | logits,aux_0,aux_1,more_a,more_b_0,more_b_1",
        "specs    | tuple_of_dict | -,k",
        "specs    | ordered_dict  | a,b",
        "specs    | int_keys      | -,-",
        "specs    | model_output  | last_hidden_state,pooler_output",
        "exported | nested        | logits,aux_0,aux_1,more_a,more_b_0,more_b_1",
        "exported | namedtuple    | mean,var"})
    void eachTensorIsNamedAfterTheKeysAboveIt(String kind, String name, String expected) {
        JsonNode c = SPECS.path(kind).path(name);
        assertThat(c.isMissingNode()).as(kind + " " + name + " in output_specs.json").isFalse();
        Map<String, List<String>> fields = new LinkedHashMap<>();
        c.path("namedtuple_fields").fields().forEachRemaining(e -> {
            List<String> f = new ArrayList<>();
            e.getValue().path("field_names").forEach(n -> f.add(n.asText()));
            fields.put(e.getKey(), f);
        });
        List<Optional<String>> keys = OutputKeys.of(Optional.of(c.path("out_spec").asText()), fields);
        assertThat(keys).hasSize(c.path("leaves").asInt())
                .containsExactlyElementsOf(Arrays.stream(expected.split(",")).map(k -> Optional.of(k).filter(x -> !x.equals("-"))).toList());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"not json", "[2, {}]", "{}", "[1, {\"type\": \"builtins.dict\"}]"})
    void aSpecKilnCannotReadNamesNothing(String spec) {
        assertThat(OutputKeys.of(Optional.of(spec), Map.of())).isEmpty();
    }
}
