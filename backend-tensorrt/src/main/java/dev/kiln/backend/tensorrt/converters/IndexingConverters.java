package dev.kiln.backend.tensorrt.converters;

import com.google.auto.service.AutoService;
import dev.kiln.backend.tensorrt.ConversionContext;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.OpConverter;
import dev.kiln.backend.tensorrt.Support;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import org.bytedeco.tensorrt.global.nvinfer.GatherMode;
import org.bytedeco.tensorrt.nvinfer.IGatherLayer;
import org.bytedeco.tensorrt.nvinfer.ITensor;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Gathers: {@code embedding} (rows of the weight), {@code index_select} (a default-mode gather on one
 * axis) and {@code gather} (TensorRT's element mode). Indices may be i32 or i64.
 *
 * <pre>{@code aten::embedding(%w, %ids) -> IGatherLayer(w, ids, axis 0)}</pre>
 */
public final class IndexingConverters {
    private IndexingConverters() {
    }

    static final Set<DType> INDEX = EnumSet.of(DType.INT32, DType.INT64);

    /** A refusal unless {@code name} holds integer indices. */
    static Support requireIndex(Node n, String name) {
        DType d = AtenConverter.type(n, name).elementType();
        return INDEX.contains(d) ? Support.yes() : Support.no("'" + name + "' is " + d + "; indices must be i32 or i64");
    }

    abstract static class GatherBase extends AtenConverter {
        GatherBase(String op) {
            super(op);
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }
    }

    @AutoService(OpConverter.class)
    public static final class Embedding extends GatherBase {
        public Embedding() {
            super("aten::embedding");
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("weight", "indices");
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            if (type(n, "weight").rank() != 2) {
                return Support.no("weight must be 2-d");
            }
            return requireIndex(n, "indices");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor w = ctx.get(n.arg("weight"));
            ITensor idx = ctx.get(n.arg("indices"));
            ctx.bind(n.output(), ctx.named(ctx.network().addGather(w, idx, 0)).getOutput(0));
        }
    }

    @AutoService(OpConverter.class)
    public static final class IndexSelect extends GatherBase {
        public IndexSelect() {
            super("aten::index_select");
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("self", "index");
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            TensorType t = type(n, "self");
            if (t.rank() == 0 || !Layers.validAxis(n.intArg("dim"), t.rank())) {
                return Support.no("dim " + n.intArg("dim") + " is out of range for rank " + t.rank());
            }
            if (type(n, "index").rank() > 1) {
                return Support.no("index must be 0-d or 1-d");
            }
            return requireIndex(n, "index");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            ITensor idx = ctx.get(n.arg("index"));
            if (Layers.rank(idx) == 0) {
                idx = ctx.reshape(idx, 1);
            }
            int axis = Layers.axis(n, n.intArg("dim"), Layers.rank(x));
            ctx.bind(n.output(), ctx.named(ctx.network().addGather(x, idx, axis)).getOutput(0));
        }
    }

    @AutoService(OpConverter.class)
    public static final class Gather extends GatherBase {
        public Gather() {
            super("aten::gather");
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("self", "index");
        }

        @Override
        public String limits() {
            return "index must have the input's rank";
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            TensorType t = type(n, "self");
            if (t.rank() == 0 || !Layers.validAxis(n.intArg("dim"), t.rank())) {
                return Support.no("dim " + n.intArg("dim") + " is out of range for rank " + t.rank());
            }
            if (type(n, "index").rank() != t.rank()) {
                return Support.no("index rank " + type(n, "index").rank() + " differs from the input's " + t.rank());
            }
            return requireIndex(n, "index");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            ITensor idx = ctx.get(n.arg("index"));
            IGatherLayer g = ctx.named(ctx.network().addGatherV2(x, idx, GatherMode.kELEMENT));
            g.setGatherAxis(Layers.axis(n, n.intArg("dim"), Layers.rank(x)));
            ctx.bind(n.output(), g.getOutput(0));
        }
    }
}
