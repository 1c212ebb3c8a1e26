package dev.kiln.ir;

/**
 * Non-tensor scalar types of ATen schemas. {@code NUMBER} is ATen's {@code Scalar} (an int, float
 * or bool); {@code SCALAR_TYPE} is a dtype passed as a value ({@code to(dtype=torch.half)}).
 */
public enum PrimitiveType implements Type {
    INT("int"),
    FLOAT("float"),
    BOOL("bool"),
    NUMBER("number"),
    STRING("str"),
    DEVICE("device"),
    LAYOUT("layout"),
    MEMORY_FORMAT("memory_format"),
    SCALAR_TYPE("dtype"),
    NONE("none");

    private final String text;

    PrimitiveType(String text) {
        this.text = text;
    }

    @Override
    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return text;
    }
}
