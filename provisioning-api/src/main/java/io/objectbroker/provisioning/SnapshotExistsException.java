package io.objectbroker.provisioning;

/** The image has a snapshot of that name already. */
public class SnapshotExistsException extends ProvisioningException {
  private static final long serialVersionUID = 1L;

  public SnapshotExistsException(String message) {
    super(message);
  }
}
