package dev.kiln.passes;

import dev.kiln.ir.Graph;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;

/** Test helpers for the IR text form: parse, print, and {@code dense<"0x...">} literals from floats. */
public final class Kir {
    private Kir() {
    }

    public static Graph parse(String text) {
        return IrParser.parse(text, "test.kir", SchemaRegistry.standard());
    }

    public static String print(Graph g) {
        return IrPrinter.print(g);
    }

    /** {@code dense<"0x...">} holding little-endian f32 values. */
    public static String f32(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return "dense<\"0x" + HexFormat.of().withUpperCase().formatHex(b.array()) + "\">";
    }
}
