from exactsync.cli import main

main()
