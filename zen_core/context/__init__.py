"""What tools put in front of a model: files, images and conversation history, under one set of safety rules."""
