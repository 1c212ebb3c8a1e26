package dev.kiln.frontend.torchscript;

import dev.kiln.ir.KilnException;

import java.util.function.Supplier;

/**
 * Runs libtorch calls so that their C++ exceptions (surfacing through JavaCPP as plain
 * {@link RuntimeException}s with libtorch's multi-line message) reach users as a
 * {@link KilnException} that names the file and the problem.
 */
final class Natives {
    private Natives() {
    }

    /** Runs {@code call}; a libtorch failure becomes {@code KilnException("<what>: <first useful line>")}. */
    static <T> T call(String what, Supplier<T> call) {
        try {
            return call.get();
        } catch (KilnException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new KilnException(what + ": " + summarize(e.getMessage()), e);
        }
    }

    /**
     * The first meaningful line of a libtorch error message. libtorch messages often begin with an
     * empty line and end with a C++ backtrace or a "serialized code" excerpt; only the headline helps.
     */
    static String summarize(String message) {
        if (message == null || message.isBlank()) {
            return "libtorch failed without a message";
        }
        for (String line : message.split("\n")) {
            String t = line.strip();
            if (!t.isEmpty()) {
                return t;
            }
        }
        return message.strip();
    }
}
