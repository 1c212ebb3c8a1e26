package dev.kiln.bench;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a minimal ONNX model by hand (protobuf wire format), so the ONNX→TensorRT path can be tested
 * without Python: {@code y0 = Relu(x0)} for a float tensor of the given shape, opset 17.
 */
final class TinyOnnx {
    private TinyOnnx() {
    }

    static byte[] relu(long... shape) {
        byte[] node = concat(string(1, "x0"), string(2, "y0"), string(3, "relu"), string(4, "Relu"));
        byte[] graph = concat(message(1, node), string(2, "tiny"), message(11, valueInfo("x0", shape)),
                message(12, valueInfo("y0", shape)));
        byte[] opset = concat(string(1, ""), varintField(2, 17));
        return concat(varintField(1, 8), message(7, graph), message(8, opset));
    }

    private static byte[] valueInfo(String name, long[] shape) {
        ByteArrayOutputStream dims = new ByteArrayOutputStream();
        for (long d : shape) {
            dims.writeBytes(message(1, varintField(1, d)));
        }
        byte[] tensor = concat(varintField(1, 1), message(2, dims.toByteArray())); // elem_type 1 = FLOAT
        return concat(string(1, name), message(2, message(1, tensor)));
    }

    private static byte[] varintField(int field, long v) {
        return concat(varint((long) field << 3), varint(v));
    }

    private static byte[] string(int field, String s) {
        return message(field, s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] message(int field, byte[] body) {
        return concat(varint(((long) field << 3) | 2), varint(body.length), body);
    }

    static byte[] varint(long v) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while ((v & ~0x7FL) != 0) {
            b.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        b.write((int) v);
        return b.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }
}
