package io.objectbroker.provisioning;

/** The image has snapshots or clones and cannot be deleted. */
public class ImageHasSnapshotsException extends ProvisioningException {
  private static final long serialVersionUID = 1L;

  public ImageHasSnapshotsException(String message) {
    super(message);
  }
}
