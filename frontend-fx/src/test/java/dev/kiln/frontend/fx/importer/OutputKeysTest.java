package dev.kiln.frontend.fx.importer;

import dev.kiln.frontend.fx.Fixtures;
import dev.kiln.frontend.fx.Pt2Archive;
import dev.kiln.frontend.fx.serde.Json;
import dev.kiln.frontend.fx.serde.SerializedProgram;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The keys of a program's outputs, from the pytree specs torch 2.11 wrote into the committed fixtures. */
class OutputKeysTest {

    /** {@code -} is a tensor under no key. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "dictout.pt2      | logits,hidden,score",
        "dictout.core.pt2 | logits,hidden,score",
        "whileloop.pt2    | -,-",
        "cond.pt2         | -",
        "mlp.pt2          | -"})
    void eachTensorIsNamedAfterTheKeyAboveIt(String file, String expected) {
        Optional<String> spec;
        try (Pt2Archive a = Pt2Archive.open(Fixtures.path(file))) {
            spec = SerializedProgram.read(Json.parse(a.programJson(), file)).outSpec();
        }
        assertThat(spec).as("out_spec of " + file).isPresent();
        assertThat(OutputKeys.of(spec)).containsExactlyElementsOf(
                Arrays.stream(expected.split(",")).map(k -> Optional.of(k).filter(x -> !x.equals("-"))).toList());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"not json", "[2, {}]", "{}", "[1, {\"type\": \"builtins.dict\"}]"})
    void aSpecKilnCannotReadNamesNothing(String spec) {
        assertThat(OutputKeys.of(Optional.of(spec))).isEqualTo(List.of());
    }
}
