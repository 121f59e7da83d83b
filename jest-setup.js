import './.config/jest-setup';
