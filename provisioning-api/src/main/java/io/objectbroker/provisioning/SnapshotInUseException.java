package io.objectbroker.provisioning;

/** Nodes use the snapshot (directly, or through a later snapshot layered on it); detach them first. */
public class SnapshotInUseException extends ProvisioningException {
  private static final long serialVersionUID = 1L;

  public SnapshotInUseException(String message) {
    super(message);
  }
}
