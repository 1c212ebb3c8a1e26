package dev.kiln.backend.tensorrt.runtime;

import dev.kiln.ir.KilnException;
import org.bytedeco.cuda.cudart.CUgraphExec_st;
import org.bytedeco.cuda.cudart.CUgraph_st;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;

import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaGetLastError;
import static org.bytedeco.cuda.global.cudart.cudaGraphDestroy;
import static org.bytedeco.cuda.global.cudart.cudaGraphExecDestroy;
import static org.bytedeco.cuda.global.cudart.cudaGraphInstantiate;
import static org.bytedeco.cuda.global.cudart.cudaGraphLaunch;
import static org.bytedeco.cuda.global.cudart.cudaStreamBeginCapture;
import static org.bytedeco.cuda.global.cudart.cudaStreamCaptureModeThreadLocal;
import static org.bytedeco.cuda.global.cudart.cudaStreamEndCapture;
import static org.bytedeco.cuda.global.cudart.cudaSuccess;

/**
 * One TensorRT inference captured as a CUDA graph: {@link #capture} records the kernels one
 * {@code enqueueV3} queues (without running them) and instantiates the graph; {@link #launch} replays
 * them with one call. The graph holds the context's input shapes and tensor addresses of the moment it was
 * captured: the caller captures again after changing either (and, as TensorRT asks, runs one plain
 * {@code enqueueV3} after such a change before capturing). {@link #close()} frees the graph; the owner
 * closes it after the stream has run its last launch.
 *
 * <pre>{@code try (CudaGraph g = CudaGraph.capture(ctx, stream)) { g.launch(stream); stream.synchronize(); }}</pre>
 */
public final class CudaGraph implements AutoCloseable {
    private CUgraph_st graph;
    private CUgraphExec_st exec;

    private CudaGraph(CUgraph_st graph, CUgraphExec_st exec) {
        this.graph = graph;
        this.exec = exec;
    }

    /**
     * Captures {@code ctx}'s next inference on {@code stream} (capture mode thread-local: other threads' CUDA calls
     * are not affected). Nothing runs; launch the graph to run it.
     *
     * @throws KilnException naming why, when TensorRT's work cannot be captured (TensorRT documents engines that
     *     cannot be: data-dependent shapes, loops, conditionals) or CUDA cannot instantiate the graph
     */
    public static CudaGraph capture(IExecutionContext ctx, CudaStream stream) {
        CUgraph_st g = new CUgraph_st();
        Cuda.check(cudaStreamBeginCapture(stream.handle(), cudaStreamCaptureModeThreadLocal), "starting a CUDA graph capture");
        boolean queued = ctx.enqueueV3(stream.handle());
        int ended = cudaStreamEndCapture(stream.handle(), g);
        if (!queued || ended != cudaSuccess || g.isNull()) {
            int last = cudaGetLastError(); // read, and so clear, the error the failed capture left
            if (!g.isNull()) {
                cudaGraphDestroy(g);
            }
            throw new KilnException("TensorRT's enqueueV3 could not be captured into a CUDA graph (enqueueV3 "
                    + (queued ? "queued" : "failed") + ", cudaStreamEndCapture: " + cudaGetErrorString(ended).getString()
                    + (last != cudaSuccess ? ", then " + cudaGetErrorString(last).getString() : "") + ")");
        }
        CUgraphExec_st e = new CUgraphExec_st();
        int made = cudaGraphInstantiate(e, g, 0L);
        if (made != cudaSuccess) {
            cudaGraphDestroy(g);
            throw new KilnException("CUDA could not instantiate the graph of TensorRT's work: " + cudaGetErrorString(made).getString());
        }
        return new CudaGraph(g, e);
    }

    /** Queues the captured work on {@code stream} (no wait). */
    public void launch(CudaStream stream) {
        if (exec == null) {
            throw new KilnException("the CUDA graph is closed");
        }
        Cuda.check(cudaGraphLaunch(exec, stream.handle()), "launching the CUDA graph of the engine");
    }

    /** Frees the graph. Idempotent. */
    @Override
    public void close() {
        if (exec != null) {
            cudaGraphExecDestroy(exec);
            exec = null;
        }
        if (graph != null) {
            cudaGraphDestroy(graph);
            graph = null;
        }
    }
}
