package dev.kiln.frontend.torchscript;

import dev.kiln.ir.Value;
import org.bytedeco.pytorch.IValue;

import java.util.List;

/**
 * What a TorchScript value stands for while {@link FrozenGraphConverter} converts a model: a value known when
 * converting, an IR value, a list or tuple, a dict, or a list built by appends in a run-time loop (while its body
 * converts, and after the loop).
 */
sealed interface Bound permits Bound.Known, Bound.Ir, Bound.Seq, Bound.Dict, Bound.Scanned, Bound.Scanning {
    /** A value known at compile time; {@code origin} is the prim::Constant output it came from, or 0. */
    record Known(IValue value, String hint, long origin) implements Bound {
        /**
         * Holds its own copy of the value: JavaCPP hands out {@code IValueVector.get}, {@code IValueOptional.get} and list
         * elements as references into storage that the garbage collector frees with its Java owner (the operator stack of
         * a fold, say), after which a reference kept here would read freed or reused memory (a constant or a trip
         * count turning into another, now and then: the control-flow property's rare wrong result, 2026-12-05).
         */
        public Known {
            value = new IValue(value);
        }
    }

    record Ir(Value value) implements Bound {
    }

    /**
     * A list or tuple of bound values; mutable so that in-place list changes work. Where it was built is the
     * converter's {@code boundIn} frame of its TorchScript value.
     */
    record Seq(List<Bound> elements) implements Bound {
    }

    /**
     * A dict whose keys are known when converting (str or int constants: {@code String} or {@code Long} here), in
     * insertion order as Python keeps it; mutable, as {@link Seq}, for {@code d[k] = v} and the like. Where it was
     * built is the converter's {@code boundIn} frame of its TorchScript value.
     */
    record Dict(java.util.LinkedHashMap<Object, Bound> entries) implements Bound {
    }

    /**
     * A list built by one append per trip of a run-time loop ({@code outs.append(h)} in an RNN's loop): {@code prefix},
     * what it held before the loop, then the rows of {@code stacked}, the loop's scan output (one row per trip; {@link
     * dev.kiln.ir.ControlFlow}). Its length is known only at run time: the converter makes torch.stack, torch.cat, len
     * and indexing ops on the stacked tensor and refuses anything else. {@code loop} says where the loop is, for
     * messages.
     */
    record Scanned(Value stacked, List<Bound> prefix, String loop) implements Bound {
    }

    /**
     * A list built just outside a run-time loop whose body appends to it, while the body converts: it holds
     * {@code prefix} (what it held before the loop), then one element per trip run so far. The body may append once per
     * trip ({@code element}, null until it does), read {@code outs[-1]} (the element appended last: this trip's after
     * the append, before it the previous trip's, carried into the trip as {@code last}, an input of the body made when
     * the body reads the list's elements), elements of the prefix, and {@code len(outs)} (from the trip number
     * {@code trip}); anything else is refused. After the loop the list is a {@link Scanned}.
     */
    final class Scanning implements Bound, Frame.AppendTarget {
        final Seq list;
        final String name;
        final List<Bound> prefix;
        final Frame frame;
        final Value trip;
        Value last;
        Bound element;

        Scanning(Seq list, String name, Frame frame, Value trip) {
            this.list = list;
            this.name = name;
            this.prefix = List.copyOf(list.elements());
            this.frame = frame;
            this.trip = trip;
        }

        @Override
        public Frame home() {
            return frame;
        }

        @Override
        public String name() {
            return name;
        }

        /** The trip's one append. */
        @Override
        public void take(Bound e) {
            element = e;
        }
    }
}
