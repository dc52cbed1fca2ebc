package io.objectbroker.provisioning;

/** The image has snapshots and cannot be deleted; delete them first. */
public class ImageHasSnapshotsException extends ProvisioningException {
  private static final long serialVersionUID = 1L;

  public ImageHasSnapshotsException(String message) {
    super(message);
  }
}
