package io.objectbroker.provisioning.backend;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A node's disk as an {@link ImageStore} made it and an {@link ExportLayer} serves it: a file
 * on this server, or an image in a Ceph RBD pool.
 */
public sealed interface NodeDisk {

  /** How an {@link io.objectbroker.provisioning.Export} names the disk. */
  String name();

  /**
   * A disk file: raw, or qcow2 when its name ends in {@code .qcow2} (by name, never by its
   * first bytes, which the node writes).
   */
  record File(Path path) implements NodeDisk {
    public File {
      path = path.toAbsolutePath().normalize();
    }

    @Override
    public String name() {
      return path.toString();
    }

    /** Whether the file is a qcow2 container, which tgt cannot serve as it is. */
    public boolean isQcow2() {
      return path.getFileName().toString().endsWith(".qcow2");
    }
  }

  /**
   * An RBD image {@code pool/image} of the cluster that {@code cluster} reaches (its
   * configuration file and client name, which tgt's RBD backing store uses too).
   */
  record Rbd(String pool, String image, CephCluster cluster) implements NodeDisk {
    public Rbd {
      Objects.requireNonNull(pool, "pool");
      Objects.requireNonNull(image, "image");
      Objects.requireNonNull(cluster, "cluster");
    }

    /** {@code pool/image}, as {@code rbd} and tgt name it. */
    public String spec() {
      return pool + "/" + image;
    }

    @Override
    public String name() {
      return "rbd:" + spec();
    }
  }
}
