package dev.kiln.frontend.torchscript;

import dev.kiln.ir.SourceLocation;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.JitNode;
import org.bytedeco.pytorch.SourceRange;
import org.bytedeco.pytorch.SourceRangeOptional;
import org.bytedeco.pytorch.T_StringSizeTSizeT_T;
import org.bytedeco.pytorch.T_StringSizeTSizeT_TOptional;

import java.util.Optional;

/**
 * Reads where a TorchScript node came from. A frozen node's own range points into the archive's
 * generated {@code code/__torch__.py}; {@code findSourceRangeThatGenerated} maps it back to the
 * user's Python file when the archive kept its debug info, which is what we prefer to show.
 */
final class SourceLocations {
    private SourceLocations() {
    }

    static Optional<SourceLocation> of(JitNode node) {
        try {
            SourceRange range = node.sourceRange();
            if (range == null || range.isNull()) {
                return Optional.empty();
            }
            SourceRangeOptional original = range.findSourceRangeThatGenerated();
            if (original.has_value()) {
                Optional<SourceLocation> loc = fileLine(original.get());
                if (loc.isPresent()) {
                    return loc;
                }
            }
            return fileLine(range);
        } catch (RuntimeException e) {
            // a missing or malformed debug table only costs us the location
            return Optional.empty();
        }
    }

    private static Optional<SourceLocation> fileLine(SourceRange range) {
        if (range.source() == null || range.source().isNull()) {
            return Optional.empty();
        }
        T_StringSizeTSizeT_TOptional flc = range.file_line_col();
        if (!flc.has_value()) {
            return Optional.empty();
        }
        T_StringSizeTSizeT_T t = flc.get();
        BytePointer file = t.get0();
        if (file == null || file.isNull()) {
            return Optional.empty();
        }
        String f = file.getString();
        if (f.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new SourceLocation(f, (int) Math.min(Integer.MAX_VALUE, t.get1())));
    }
}
