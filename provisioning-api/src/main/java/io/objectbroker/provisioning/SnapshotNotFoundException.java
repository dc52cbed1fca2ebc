package io.objectbroker.provisioning;

/** The image has no snapshot of that name, or none at all where one is needed. */
public class SnapshotNotFoundException extends ProvisioningException {
  private static final long serialVersionUID = 1L;

  public SnapshotNotFoundException(String message) {
    super(message);
  }
}
