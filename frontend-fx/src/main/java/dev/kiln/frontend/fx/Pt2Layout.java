package dev.kiln.frontend.fx;

/**
 * The on-disk layouts of {@code torch.export.save} files, by the torch versions that write them.
 *
 * <pre>{@code if (archive.layout() == Pt2Layout.FLAT) { ... }}</pre>
 */
public enum Pt2Layout {
    /** torch 2.6-2.7: a flat zip with {@code serialized_exported_program.json} and pickled state dicts. */
    FLAT("torch 2.6-2.7 flat zip"),
    /** torch 2.8: the PT2 archive with pickled {@code data/weights/model.pt}. */
    ARCHIVE_PICKLED("torch 2.8 archive, pickled weights"),
    /** torch 2.9 and later: the PT2 archive with one raw file per storage. */
    ARCHIVE("torch 2.9+ archive");

    private final String description;

    Pt2Layout(String description) {
        this.description = description;
    }

    /** A short human description for {@code kiln inspect}. */
    public String description() {
        return description;
    }
}
