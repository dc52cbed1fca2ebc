package io.objectbroker.provisioning;

/** Nodes were provisioned from the image; detach them first. */
public class ImageInUseException extends ProvisioningException {
  private static final long serialVersionUID = 1L;

  public ImageInUseException(String message) {
    super(message);
  }
}
